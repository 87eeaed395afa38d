import type { NextFunction, Request, Response } from 'express';

/**
 * How many requests the server is answering right now. Background work that
 * shares the process (the inbox worker) reads it to step aside during a burst,
 * so acknowledging webhooks stays fast and the handling catches up after.
 */
export class RequestLoad {
  private current = 0;

  get inFlight(): number {
    return this.current;
  }

  middleware() {
    return (_req: Request, res: Response, next: NextFunction): void => {
      this.current += 1;
      res.once('close', () => {
        this.current -= 1;
      });
      next();
    };
  }
}

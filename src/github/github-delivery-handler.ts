import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { ApplicationFunction, Probot } from 'probot';
import type { DeliveryHandler } from '../orchestrator/inbox-worker.js';

/**
 * Feeds inbox deliveries to the Probot app. The app function is loaded into
 * the GitHubAppClient's Probot once, on first use; `probot.receive` rejects
 * when any handler threw, which the inbox worker turns into a retry.
 */
export function createGitHubDeliveryHandler(probot: Probot, appFn: ApplicationFunction): DeliveryHandler {
  let loaded: Promise<void> | undefined;
  return async (delivery) => {
    loaded ??= probot.load(appFn).catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    await loaded;
    await probot.receive({ id: delivery.id, name: delivery.event, payload: delivery.payload } as EmitterWebhookEvent);
  };
}

/** Everything the service keeps, as one bundle of ports: the core's stores and the delivery room's. */
import type { EscalationStore, LookupStore, OutboxStore, SettingsStore, TranscriptStore } from '../core/ports';
import type { InstanceRegistry, LaneStore } from '../delivery/ports';

export interface HandoverStore {
  escalations: EscalationStore;
  lookups: LookupStore;
  transcripts: TranscriptStore;
  outbox: OutboxStore;
  settings: SettingsStore;
  instances: InstanceRegistry;
  lanes: LaneStore;
  /** Resolves when the store answers (health check). */
  ping(): Promise<void>;
}

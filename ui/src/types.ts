// Wire types: the shapes generated from Rust (ts-rs, ./bindings) re-exported, plus the few command
// answers that are shell structs without bindings; every other module imports wire types from here.
import type { Downtime, ProbeResult, RuntimeStatus, TunnelState } from './bindings';

export type {
  Alarm,
  ChangeBatch,
  DeliveryAttempt,
  Downtime,
  ErrorBody,
  Forward,
  EventDetail,
  EventFilter,
  EventPage,
  EventSummary,
  HttpReply,
  ProbeResult,
  ProbeStage,
  ReplayOutcome,
  ReplayRequest,
  Retention,
  RowChange,
  RuntimeStatus,
  SecretInfo,
  SecretOrigin,
  SessionRow,
  SettingsChange,
  Signing,
  Source,
  SyncKind,
  Target,
  TunnelState,
  TunnelStateRow,
  UserCounts,
  UserDetail,
  UserPage,
  UserQuery,
  UserRow,
  UserSort,
  Verification,
} from './bindings';

/** get_status's answer. */
export interface StatusReply {
  runtime: RuntimeStatus;
  tunnel: TunnelState;
  cursor: number;
  /** While online: the stretch without a public URL before the tunnel came back. */
  downtime: Downtime | null;
  /** The latest probe of the public URL, automatic or asked for. */
  probe: ProbeResult | null;
}

/** One entry of list_fixtures. */
export interface Fixture {
  name: string;
  about: string;
  json: string;
}

/** send_test_event's answer (generated from the Rust type). */
export type { TestSend as TestSendReply } from './bindings';

export type SendTarget = 'local' | 'public';

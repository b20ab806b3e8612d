// Call Control commands through the SDK, each with a deterministic command_id and a client_state, and
// each answer classified so the state machine can move on: `ended` (422 90018 / 404: the call is gone,
// its hangup webhook follows), `retryable` (429, 5xx, timeouts after the SDK's own retries with the
// same command_id), `rejected` (any other 4xx: retrying the same request cannot help).
import { Inject, Injectable, Logger } from '@nestjs/common';
import Telnyx, { APIError } from 'telnyx';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { TELNYX_CLIENT } from './telnyx-client';

export type CommandName = 'answer' | 'transfer' | 'speak' | 'hangup' | 'reject' | 'status';

export type CommandResult =
  | { ok: true }
  | { ok: false; kind: 'ended' | 'retryable' | 'rejected'; status?: number; code?: string; message: string };

export interface CommandOptions {
  commandId: string;
  clientState: string;
}

export interface TransferOptions extends CommandOptions {
  to: string;
  timeoutSecs: number;
  targetLegClientState: string;
}

export interface CallStatus {
  alive: boolean;
  endTime?: string;
}

const CALL_ENDED = '90018';

export function classifyError(error: unknown): Exclude<CommandResult, { ok: true }> {
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const errors = (error.error as { errors?: Array<{ code?: unknown; title?: unknown }> } | undefined)
      ?.errors;
    const first = Array.isArray(errors) ? errors[0] : undefined;
    const code = first && typeof first.code === 'string' ? first.code : undefined;
    const title = first && typeof first.title === 'string' ? first.title : error.message;
    if ((status === 422 && code === CALL_ENDED) || status === 404) {
      return { ok: false, kind: 'ended', status, code, message: title };
    }
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return { ok: false, kind: 'retryable', status, code, message: title };
    }
    return { ok: false, kind: 'rejected', status, code, message: title };
  }
  // Connection errors and timeouts (APIConnectionError has no status) are worth another try.
  return { ok: false, kind: 'retryable', message: error instanceof Error ? error.message : String(error) };
}

@Injectable()
export class CallControlService {
  private readonly logger = new Logger('CallControl');
  private readonly commands;
  private readonly errors;

  constructor(
    @Inject(TELNYX_CLIENT) private readonly client: Telnyx,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.commands = metrics.counter('telnyx_commands_total', 'Call Control commands by outcome', [
      'command',
      'outcome',
    ]);
    this.errors = metrics.counter(
      'telnyx_command_errors_total',
      'Call Control command errors by kind and HTTP status',
      ['command', 'kind', 'status'],
    );
  }

  get connectionId(): string {
    return this.config.telnyx.connectionId;
  }

  answer(callControlId: string, o: CommandOptions): Promise<CommandResult> {
    return this.run('answer', callControlId, () =>
      this.client.calls.actions.answer(callControlId, {
        command_id: o.commandId,
        client_state: o.clientState,
      }),
    );
  }

  transfer(callControlId: string, o: TransferOptions): Promise<CommandResult> {
    return this.run('transfer', callControlId, () =>
      this.client.calls.actions.transfer(callControlId, {
        to: o.to,
        timeout_secs: o.timeoutSecs,
        command_id: o.commandId,
        client_state: o.clientState,
        target_leg_client_state: o.targetLegClientState,
      }),
    );
  }

  speak(callControlId: string, payload: string, o: CommandOptions): Promise<CommandResult> {
    return this.run('speak', callControlId, () =>
      this.client.calls.actions.speak(callControlId, {
        payload,
        voice: 'female',
        language: 'en-US',
        command_id: o.commandId,
        client_state: o.clientState,
      }),
    );
  }

  hangup(callControlId: string, o: CommandOptions): Promise<CommandResult> {
    return this.run('hangup', callControlId, () =>
      this.client.calls.actions.hangup(callControlId, {
        command_id: o.commandId,
        client_state: o.clientState,
      }),
    );
  }

  reject(callControlId: string, o: CommandOptions): Promise<CommandResult> {
    return this.run('reject', callControlId, () =>
      this.client.calls.actions.reject(callControlId, {
        cause: 'CALL_REJECTED',
        command_id: o.commandId,
        client_state: o.clientState,
      }),
    );
  }

  /** Whether the leg is still up (GET /v2/calls/{id}); undefined when the carrier cannot say now. */
  async status(callControlId: string): Promise<CallStatus | undefined> {
    try {
      const r = await this.client.calls.retrieveStatus(callControlId);
      this.commands.inc({ command: 'status', outcome: 'ok' });
      return { alive: r.data?.is_alive === true, endTime: r.data?.end_time ?? undefined };
    } catch (e) {
      const c = classifyError(e);
      this.count('status', c);
      if (c.kind === 'ended') return { alive: false };
      return undefined;
    }
  }

  private async run(
    command: CommandName,
    callControlId: string,
    send: () => PromiseLike<unknown>,
  ): Promise<CommandResult> {
    try {
      await send();
      this.commands.inc({ command, outcome: 'ok' });
      return { ok: true };
    } catch (e) {
      const c = classifyError(e);
      this.count(command, c);
      if (c.kind !== 'ended') {
        this.logger.warn(
          { callControlId, command, kind: c.kind, status: c.status, code: c.code },
          `Telnyx ${command} failed: ${c.message}`,
        );
      }
      return c;
    }
  }

  private count(command: CommandName, c: Exclude<CommandResult, { ok: true }>): void {
    this.commands.inc({ command, outcome: c.kind });
    this.errors.inc({ command, kind: c.kind, status: String(c.status ?? 'none') });
  }
}

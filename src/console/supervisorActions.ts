/**
 * What supervisors (SUPERVISORS) can do on every card of every queue, whoever owns the chat: Reassign (to a queue or
 * a colleague, as a transfer) and Force close (after the card's confirmation). Everyone else is refused.
 */
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { TransitionError, type Escalation } from '../core/escalation';
import { UnknownQueueError } from '../core/errors';
import type { Handover } from '../core/handover';
import type { TransferTarget } from '../core/transfer';
import type { AgentAccess } from './agentAccess';
import { CardVerbs } from './cards/escalationCard';

export interface SupervisorActionDeps {
  handover: Handover;
  access: AgentAccess;
  supervisors: string[];
  card: (e: Escalation, ctx?: TurnContext) => never;
  transferTarget: (e: Escalation, choice: string) => Promise<TransferTarget | string>;
  /** The board as a supervisor sees it: the answer to an action taken on the board. */
  board: (ctx: TurnContext) => Promise<never>;
}

export function registerSupervisorActions(app: Application<TurnState>, deps: SupervisorActionDeps): void {
  const { handover, access, card } = deps;
  const act = (verb: string, run: (ctx: TurnContext, e: Escalation, supervisor: Parameters<Handover['forceClose']>[1], data: Record<string, unknown>) => Promise<Escalation | string>) =>
    app.adaptiveCards.actionExecute(verb, async (ctx, _state, data: Record<string, unknown>) => {
      const e = typeof data?.escalationId === 'string' ? await handover.get(data.escalationId) : undefined;
      if (!e) return 'This escalation no longer exists.';
      const allowed = await access.checkSupervisor(ctx.activity, deps.supervisors);
      if (!allowed.allowed) return allowed.reason;
      try {
        const result = await run(ctx, e, allowed.agent, data);
        if (typeof result === 'string') return result;
        return data.from === 'board' ? deps.board(ctx) : card(result, ctx);
      } catch (err) {
        if (err instanceof TransitionError) return err.code === 'same_place' ? err.message : card(err.escalation, ctx);
        if (err instanceof UnknownQueueError) return `${err.message}.`;
        throw err;
      }
    });

  act(CardVerbs.reassign, async (_ctx, e, supervisor, data) => {
    const to = await deps.transferTarget(e, String(data.reassignTo ?? ''));
    return typeof to === 'string' ? to : handover.transfer(e.id, supervisor, to, true);
  });
  act(CardVerbs.forceClose, (_ctx, e, supervisor) => handover.forceClose(e.id, supervisor));
}

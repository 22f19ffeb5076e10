import { strict as assert } from 'node:assert';
import pino from 'pino';
import { lazyChild } from '../../src/core/logger';

describe('lazyChild', () => {
  const recording = () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info', base: undefined, timestamp: false }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { log, lines };
  };

  it('makes no child and reads no bindings while nothing is logged', () => {
    const { log } = recording();
    let children = 0;
    let asked = 0;
    const counting = { ...log, child: (b: object) => (children++, log.child(b)) } as unknown as typeof log;
    lazyChild(counting, () => (asked++, { activityId: 'a1' }));
    assert.equal(children, 0);
    assert.equal(asked, 0);
  });

  it('logs every line with the bindings, through one child made at the first line', () => {
    const { log, lines } = recording();
    let children = 0;
    const counting = { info: log.info.bind(log), warn: log.warn.bind(log), error: log.error.bind(log), debug: log.debug.bind(log), child: (b: object) => (children++, log.child(b)) };
    const turn = lazyChild(counting, () => ({ activityId: 'a1', conversationId: 'c1' }));
    turn.info({ escalationId: 'e1' }, 'startConversation');
    turn.warn({ name: 'x' });
    turn.debug({ hidden: true }, 'below the level');
    turn.child({ step: 2 }).error({ err: 'boom' }, 'failed');
    assert.equal(children, 1);
    assert.deepEqual(lines, [
      { level: 30, activityId: 'a1', conversationId: 'c1', escalationId: 'e1', msg: 'startConversation' },
      { level: 40, activityId: 'a1', conversationId: 'c1', name: 'x' },
      { level: 50, activityId: 'a1', conversationId: 'c1', step: 2, err: 'boom', msg: 'failed' },
    ]);
  });
});

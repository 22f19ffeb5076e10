import { strict as assert } from 'node:assert';
import { routeQueue, type QueueRule } from '../../src/core/routing';

const queues: QueueRule[] = [{ name: 'billing' }, { name: 'german', when: { va_Language: 'de-DE' } }, { name: 'vip', when: { tier: 'gold', va_Language: 'en-US' } }];

describe('queue routing', () => {
  it('the Queue input names the queue (any case); default is a queue too', () => {
    assert.deepEqual(routeQueue(' Billing ', {}, queues), { queue: 'billing' });
    assert.deepEqual(routeQueue('default', { va_Language: 'de-DE' }, queues), { queue: 'default' });
  });

  it('without a name, the first when rule whose every key matches exactly', () => {
    assert.deepEqual(routeQueue(undefined, { va_Language: 'de-DE' }, queues), { queue: 'german' });
    assert.deepEqual(routeQueue('', { va_Language: 'en-US', tier: 'gold' }, queues), { queue: 'vip' });
    assert.deepEqual(routeQueue(undefined, { va_Language: 'en-US' }, queues), { queue: 'default' });
    assert.deepEqual(routeQueue(undefined, { va_Language: 'de' }, queues), { queue: 'default' }, 'exact match only');
  });

  it('an unknown name: the rules or the default queue, with a note for the card', () => {
    assert.deepEqual(routeQueue('sales', {}, queues), { queue: 'default', note: 'Asked for the queue "sales", which does not exist: routed here instead.' });
    assert.equal(routeQueue('sales', { va_Language: 'de-DE' }, queues).queue, 'german');
  });
});

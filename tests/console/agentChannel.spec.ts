import { strict as assert } from 'node:assert';
import { AgentChannelRegistry, type AgentChannel } from '../../src/console/agentChannel';
import { createMemoryStore } from '../../src/store/memory/memoryStore';

const channel: AgentChannel = { teamId: '19:team', channelId: '19:channel', tenantId: 't', serviceUrl: 'https://smba.trafficmanager.net/emea/t/' };

describe('AgentChannelRegistry', () => {
  it('settings win over what was chosen in Teams', async () => {
    const store = createMemoryStore();
    await store.settings.put('console.agentChannel', channel);
    const registry = new AgentChannelRegistry(store.settings, { teamId: '19:other', channelId: '19:c2', serviceUrl: 'https://smba.trafficmanager.net/amer/t/' });
    assert.equal((await registry.current())?.channelId, '19:c2');
  });

  it('remembers a chosen channel for a while (no store read per agent line), then reads the store again', async () => {
    const store = createMemoryStore();
    let reads = 0;
    const settings = { ...store.settings, get: async <T>(key: string) => ((reads += 1), store.settings.get<T>(key)) };
    let now = 1_000;
    const registry = new AgentChannelRegistry(settings, {}, () => now);
    assert.equal(await registry.current(), undefined);
    assert.equal(await registry.current(), undefined);
    assert.equal(reads, 2, 'until a channel is chosen, every look asks the store');
    await store.settings.put('console.agentChannel', channel); // chosen on another instance
    assert.deepEqual(await registry.current(), channel);
    for (let i = 0; i < 10; i++) await registry.current();
    assert.equal(reads, 3);
    await store.settings.put('console.agentChannel', { ...channel, channelId: '19:moved' });
    now += 31_000;
    assert.equal((await registry.current())?.channelId, '19:moved', 'another instance\'s choice is seen within 30 s');
    await registry.choose({ ...channel, channelId: '19:here' });
    assert.equal((await registry.current())?.channelId, '19:here', 'this instance\'s own choice at once');
  });
  it('a queue\'s channel, once chosen, cannot be taken to another team\'s channel; its own team may move it', async () => {
    const store = createMemoryStore();
    const registry = new AgentChannelRegistry(store.settings, {}, Date.now, [{ name: 'billing' }]);
    assert.equal(await registry.chooseForQueue('billing', channel), 'chosen');
    assert.equal(await registry.chooseForQueue('billing', { ...channel, teamId: '19:other', channelId: '19:theirs' }), 'otherTeam');
    assert.equal(await new AgentChannelRegistry(store.settings, {}, Date.now, [{ name: 'billing' }]).chooseForQueue('billing', { ...channel, teamId: '19:other' }), 'otherTeam', 'another instance (no cache) refuses too');
    assert.equal((await registry.forQueue('billing'))?.channelId, '19:channel');
    assert.equal(await registry.chooseForQueue('billing', { ...channel, channelId: '19:moved' }), 'chosen');
    assert.equal((await registry.forQueue('billing'))?.channelId, '19:moved');
  });

  it('the default queue\'s channel likewise stays with its team', async () => {
    const store = createMemoryStore();
    const registry = new AgentChannelRegistry(store.settings, {});
    assert.equal(await registry.chooseForQueue('default', channel), 'chosen');
    assert.equal(await registry.chooseForQueue('default', { ...channel, teamId: '19:other' }), 'otherTeam');
    assert.equal((await registry.current())?.teamId, '19:team');
  });
  it('an admin who sets a queue\'s team in AGENT_QUEUES moves it there: that team may choose, the old choice no longer serves', async () => {
    const store = createMemoryStore();
    await new AgentChannelRegistry(store.settings, {}, Date.now, [{ name: 'billing' }]).chooseForQueue('billing', { ...channel, teamId: '19:y' });
    const pinned = new AgentChannelRegistry(store.settings, {}, Date.now, [{ name: 'billing', teamId: '19:x' }]); // after the restart
    assert.equal(await pinned.forQueue('billing'), undefined, 'team y\'s channel is not team x\'s queue\'s');
    assert.equal(await pinned.chooseForQueue('billing', { ...channel, teamId: '19:x', channelId: '19:x-channel' }), 'chosen');
    assert.equal((await pinned.forQueue('billing'))?.channelId, '19:x-channel');
  });
});

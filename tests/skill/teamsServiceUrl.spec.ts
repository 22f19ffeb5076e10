import { strict as assert } from 'node:assert';
import { regionFromHost, teamsServiceUrlFor } from '../../src/skill/teamsServiceUrl';

describe('the Teams service URL for a customer reached through Copilot Studio', () => {
  const base = 'https://smba.trafficmanager.net/';
  const tenant = '55555555-5555-4555-8555-555555555555';

  it('guesses the region from the Copilot Studio runtime host', () => {
    assert.equal(regionFromHost('https://pvaruntime.eu-il104.gateway.prod.island.powerapps.com/'), 'emea');
    assert.equal(regionFromHost('https://pvaruntime.uk-il101.gateway.prod.island.powerapps.com/'), 'emea');
    assert.equal(regionFromHost('https://pvaruntime.as-il101.gateway.prod.island.powerapps.com/'), 'apac');
    assert.equal(regionFromHost('https://pvaruntime.jp-il102.gateway.prod.island.powerapps.com/'), 'apac');
    assert.equal(regionFromHost('https://pvaruntime.us-il301.gateway.prod.island.powerapps.com/'), 'amer');
    assert.equal(regionFromHost('not a url'), 'amer');
  });

  it('builds the region and tenant URL; TEAMS_REGION overrides the guess; no tenant: the global one; Teams URLs pass', () => {
    const eu = 'https://pvaruntime.eu-il104.gateway.prod.island.powerapps.com/';
    assert.equal(teamsServiceUrlFor(eu, tenant, { base }), `${base}emea/${tenant}/`);
    assert.equal(teamsServiceUrlFor(eu, tenant, { base: base.slice(0, -1), region: 'apac' }), `${base}apac/${tenant}/`);
    assert.equal(teamsServiceUrlFor(eu, undefined, { base }), `${base}teams/`);
    assert.equal(teamsServiceUrlFor(`${base}emea/`, tenant, { base }), `${base}emea/`);
  });
});

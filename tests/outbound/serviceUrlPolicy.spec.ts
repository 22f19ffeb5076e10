import { strict as assert } from 'node:assert';
import { loadConfig } from '../../src/config';
import { assertServiceUrl, checkServiceUrl, LOOPBACK_SERVICE_URL, serviceUrlRefusal, type ServiceUrlPolicy } from '../../src/outbound/serviceUrlPolicy';
import { skillAuthConfig } from '../../src/skill/skillAdapter';

describe('service URL policy', () => {
  const production: ServiceUrlPolicy = { allowedHosts: ['smba.trafficmanager.net'], allowLoopback: false };
  const local: ServiceUrlPolicy = { allowedHosts: ['smba.trafficmanager.net'], allowLoopback: true };

  it('allows https on an allowed host or its subdomains, and nothing else', () => {
    assert.deepEqual(checkServiceUrl('https://smba.trafficmanager.net/amer/t1/', production), { allowed: true, loopback: false });
    assert.deepEqual(checkServiceUrl('https://eu.smba.trafficmanager.net/emea/', production), { allowed: true, loopback: false });
    assert.equal(checkServiceUrl('https://evilsmba.trafficmanager.net/', production).allowed, false);
    assert.equal(checkServiceUrl('http://smba.trafficmanager.net/', production).allowed, false);
    assert.equal(checkServiceUrl('not a url', production).allowed, false);
    assert.match(serviceUrlRefusal('https://attacker.example/', production) ?? '', /not on the allow-list/);
    assert.throws(() => assertServiceUrl('https://attacker.example/', production), /service URL refused/);
  });

  it('in local mode takes loopback only as spelled where the skill sends no token; other spellings of it are refused', () => {
    for (const ok of ['http://127.0.0.1:3978/', 'http://localhost:3978/api', 'http://LOCALHOST/', 'http://[::1]:3978/']) assert.deepEqual(checkServiceUrl(ok, local), { allowed: true, loopback: true }, ok);
    for (const odd of ['http://127.1:3978/', 'http://0x7f000001/', 'http://[0::1]:3978/', 'http://a@127.0.0.1/', 'http://localhost']) {
      assert.match(serviceUrlRefusal(odd, local) ?? '', /accepted only as http\(s\):\/\/127\.x\.x\.x/, odd);
    }
    // The skill's token choice uses the same pattern: whatever is allowed as loopback gets no token.
    const map = skillAuthConfig(loadConfig({ NODE_ENV: 'test', ALLOW_LOOPBACK_SERVICE_URLS: 'true' })).connectionsMap ?? [];
    assert.deepEqual(map[0], { serviceUrl: LOOPBACK_SERVICE_URL, connection: 'loopback' });
  });

  it('remembers a verdict per policy: the same URL is judged by each policy on its own', () => {
    const url = 'http://127.0.0.1:3978/';
    assert.equal(checkServiceUrl(url, production).allowed, false);
    assert.deepEqual(checkServiceUrl(url, local), { allowed: true, loopback: true });
    assert.equal(checkServiceUrl(url, production).allowed, false, 'the local policy\'s verdict is not given to production');
    assert.equal(checkServiceUrl(url, local), checkServiceUrl(url, local), 'asked again, the remembered verdict');
    assert.ok(Object.isFrozen(checkServiceUrl(url, local)), 'a shared verdict cannot be changed by a caller');
  });

  it('remembers allowed URLs only, and a bounded number of them: refusals and long URLs are judged afresh', () => {
    const policy: ServiceUrlPolicy = { allowedHosts: ['smba.trafficmanager.net'], allowLoopback: false };
    const forged = 'https://forged.example/';
    assert.notEqual(checkServiceUrl(forged, policy), checkServiceUrl(forged, policy), 'a refusal is not remembered');
    const long = `https://smba.trafficmanager.net/${'x'.repeat(300)}/`;
    assert.equal(checkServiceUrl(long, policy).allowed, true);
    assert.notEqual(checkServiceUrl(long, policy), checkServiceUrl(long, policy), 'a long URL is not remembered');
    const first = checkServiceUrl('https://smba.trafficmanager.net/amer/t0/', policy);
    assert.equal(checkServiceUrl('https://smba.trafficmanager.net/amer/t0/', policy), first, 'an allowed URL is');
    for (let i = 1; i <= 600; i++) checkServiceUrl(`https://smba.trafficmanager.net/amer/t${i}/`, policy);
    const again = checkServiceUrl('https://smba.trafficmanager.net/amer/t0/', policy);
    assert.deepEqual(again, first);
    assert.notEqual(again, first, 'judged again: forgotten past the bound');
  });
});

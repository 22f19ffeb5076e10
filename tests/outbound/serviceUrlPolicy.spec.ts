import { strict as assert } from 'node:assert';
import { assertServiceUrl, checkServiceUrl, serviceUrlRefusal, type ServiceUrlPolicy } from '../../src/outbound/serviceUrlPolicy';

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

  it('remembers a verdict per policy: the same URL is judged by each policy on its own', () => {
    const url = 'http://127.0.0.1:3978/';
    assert.equal(checkServiceUrl(url, production).allowed, false);
    assert.deepEqual(checkServiceUrl(url, local), { allowed: true, loopback: true });
    assert.equal(checkServiceUrl(url, production).allowed, false, 'the local policy\'s verdict is not given to production');
    assert.equal(checkServiceUrl(url, local), checkServiceUrl(url, local), 'asked again, the remembered verdict');
    assert.ok(Object.isFrozen(checkServiceUrl(url, local)), 'a shared verdict cannot be changed by a caller');
  });

  it('forgets its verdicts past its bound, so forged URLs cannot grow it', () => {
    const policy: ServiceUrlPolicy = { allowedHosts: ['smba.trafficmanager.net'], allowLoopback: false };
    const first = checkServiceUrl('https://forged-0.example/', policy);
    for (let i = 1; i <= 600; i++) checkServiceUrl(`https://forged-${i}.example/`, policy);
    const again = checkServiceUrl('https://forged-0.example/', policy);
    assert.deepEqual(again, first);
    assert.notEqual(again, first, 'judged again: the first verdict was forgotten');
  });
});

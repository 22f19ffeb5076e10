/**
 * Signing keys made by the tests, served on loopback the way Entra ID and Bot Framework serve theirs, and tokens
 * minted with them. Lets the real validation code run with no internet.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export class TokenIssuer {
  private server?: Server;
  private jwk?: JWK;
  private privateKey?: CryptoKey;
  private strangerKey?: CryptoKey;
  url = '';
  readonly kid = 'test-key-1';

  async start(): Promise<this> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = pair.privateKey as CryptoKey;
    this.jwk = { ...(await exportJWK(pair.publicKey)), kid: this.kid, use: 'sig', alg: 'RS256' };
    this.strangerKey = (await generateKeyPair('RS256')).privateKey as CryptoKey;
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (path.endsWith('/discovery/v2.0/keys') || path.endsWith('/botframework/keys')) {
        res.end(JSON.stringify({ keys: [{ ...this.jwk, endorsements: ['msteams', 'webchat', 'directline'] }] }));
      } else if (path.endsWith('/botframework/openid')) {
        res.end(JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `${this.url}/botframework/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  /** An Entra v2 token as Copilot Studio's app registration gets it. */
  async entraToken(opts: { tenantId: string; audience: string; caller: string; expiresIn?: number; signWithStranger?: boolean; v1?: boolean }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (opts.expiresIn ?? 3600);
    // v1 tokens name the caller in `appid` and come from the sts.windows.net issuer; v2 ones in `azp`.
    const claims = opts.v1 ? { appid: opts.caller, tid: opts.tenantId, ver: '1.0' } : { azp: opts.caller, tid: opts.tenantId, ver: '2.0' };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(opts.v1 ? `https://sts.windows.net/${opts.tenantId}/` : `https://login.microsoftonline.com/${opts.tenantId}/v2.0`)
      .setAudience(opts.audience)
      .setIssuedAt(Math.min(now, exp - 60))
      .setNotBefore(Math.min(now, exp - 60))
      .setExpirationTime(exp)
      .sign(opts.signWithStranger ? this.strangerKey! : this.privateKey!);
  }

  /** A Bot Framework channel token as Teams sends to a bot. */
  async botFrameworkToken(opts: { audience: string; serviceUrl: string; expiresIn?: number }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ serviceurl: opts.serviceUrl })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer('https://api.botframework.com')
      .setAudience(opts.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (opts.expiresIn ?? 3600))
      .sign(this.privateKey!);
  }
}

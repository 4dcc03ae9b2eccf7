// A third-party OpenID provider for the interoperability tests: the npm `oidc-provider` package
// (certified, written by nobody on this project) standing in for a provincial identity platform
// with its own claim names, document-type codes and assurance codes. Only the sign-in page is
// ours, because every platform draws its own; everything OpenID is the package's.
//
// Configured through environment variables (the tests start it on 127.0.0.1):
//   OP_PORT      port to listen on (127.0.0.1 only)
//   OP_CLIENT    JSON client metadata of the portal (client_id, redirect_uris, ...)
//   OP_ACCOUNTS  JSON {accountId: {real_name, id_type, id_number, mobile}}
//   OP_CLAIMS_PARAMETER  "1" to support the `claims` request parameter
import http from 'node:http';
import crypto from 'node:crypto';

import Provider, { interactionPolicy } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const client = JSON.parse(process.env.OP_CLIENT);
const accounts = JSON.parse(process.env.OP_ACCOUNTS);
const LEVELS = { loa2: '短信验证（实名）', loa3: '人脸核验' };

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'op-1', use: 'sig', alg: 'RS256' };

function escape(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
</head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

// A platform that honours acr_values: asks again when the session's level is not among them, once
// (after this round's login it answers with whatever level the person reached).
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'acr_values', 'requested level not reached',
  (ctx) => {
    const wanted = (ctx.oidc.params.acr_values || '').split(' ').filter(Boolean);
    if (!wanted.length || ctx.oidc.result?.login || wanted.includes(ctx.oidc.acr)) {
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }
    return interactionPolicy.Check.REQUEST_PROMPT;
  },
));

const configuration = {
  clients: [client],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  acrValues: Object.keys(LEVELS),
  // The platform's own claim names: not the portal's defaults.
  claims: {
    acr: null,
    auth_time: null,
    openid: ['sub'],
    profile: ['real_name'],
    idcard: ['id_type', 'id_number'],
    phone: ['mobile'],
  },
  scopes: ['openid', 'profile', 'idcard', 'phone'],
  pkce: { required: () => true },
  // The package refuses to fetch from special-use addresses (SSRF protection); in the tests the
  // portal's JWKS (private_key_jwt) is on 127.0.0.1 by design, so loopback is allowed here.
  fetch(url, options) {
    const { dispatcher, ...rest } = options;
    if (new URL(url).hostname !== '127.0.0.1') throw new Error(`not on loopback: ${url}`);
    return globalThis.fetch(url, rest);
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: process.env.OP_CLAIMS_PARAMETER === '1' },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('退出统一身份认证平台', `${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">确认退出</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('已退出统一身份认证平台', '');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('认证平台出错', `<pre>${escape(JSON.stringify(out))}</pre>`);
  },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // A first-party platform: no consent screen, everything the portal asks for is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile idcard phone');
    grant.addOIDCClaims(['acr', 'auth_time']);
    await grant.save();
    return grant;
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));
// Why a request was refused, for whoever reads the test's log.
for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'userinfo.error']) {
  provider.on(event, (ctx, error) => console.error(event, error.message, error.error_detail ?? '', error.cause ?? ''));
}
const callback = provider.callback();

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

// The platform's sign-in page. The "seconds ago" field lets a test play a platform whose face
// check happened earlier than asked (a stale authentication the portal must refuse).
function loginPage(uid, params, prompt) {
  const asked = params.acr_values || '';
  const choices = Object.entries(LEVELS).map(([code, label]) => `
<div><input type="radio" id="level-${code}" name="level" value="${code}"${
    code === 'loa2' ? ' checked' : ''}><label for="level-${code}">${escape(label)}</label></div>`).join('');
  return page('统一身份认证平台登录', `
<p id="asked">请求的认证等级：${escape(asked)}；max_age：${escape(prompt.details?.max_age ?? params.max_age ?? '')}；prompt：${
    escape(params.prompt ?? '')}；原因：${escape(prompt.reasons.join(','))}</p>
<form method="post" action="/interaction/${uid}/login">
<div><label for="id_number">证件号码</label><input id="id_number" name="id_number" autocomplete="off"></div>
<fieldset><legend>认证方式</legend>${choices}</fieldset>
<div><label for="age">认证发生在多少秒前</label><input id="age" name="age" value="0" inputmode="numeric"></div>
<button type="submit">登录</button>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">取消</button></form>`);
}

const server = http.createServer(async (req, res) => {
  try {
    const match = req.url.match(/^\/interaction\/([\w-]+)(\/login|\/abort)?$/);
    if (!match) return callback(req, res);
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && !match[2]) {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(loginPage(details.uid, details.params, details.prompt));
    }
    if (req.method === 'POST' && match[2] === '/abort') {
      return provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'cancelled',
      }, { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && match[2] === '/login') {
      const form = await readForm(req);
      const accountId = Object.keys(accounts).find(
        (id) => accounts[id].id_number === form.get('id_number'));
      if (!accountId) {
        res.statusCode = 400;
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        return res.end(page('证件号码不正确', ''));
      }
      const acr = form.get('level') in LEVELS ? form.get('level') : 'loa2';
      const ts = Math.floor(Date.now() / 1000) - Number(form.get('age') || 0);
      return provider.interactionFinished(req, res, {
        login: { accountId, acr, amr: acr === 'loa3' ? ['sms', 'face'] : ['sms'], ts, remember: true },
      }, { mergeWithLastSubmission: false });
    }
    res.statusCode = 405;
    return res.end();
  } catch (error) {
    console.error(error);
    res.statusCode = 500;
    return res.end(String(error));
  }
});

server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));

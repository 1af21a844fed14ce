// The benchmark's peer: what a user would write instead of Momentum Edge — a Hono worker that verifies Cognito
// access tokens with jose and caches the catalog with the Cache API. It serves the three kinds of route that
// scripts/bench.sh compares (see bench/peer/README.md for how it differs from our worker). Not a product.
import { Hono } from 'hono';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from 'jose';
import { AwsClient } from 'aws4fetch';

const JSON_TYPE = 'application/json; charset=utf-8';

// Per-isolate state, built on first use from the bindings (as our worker builds its App once per isolate).
let state;
function isolate(env) {
  if (!state) {
    const issuer = `https://cognito-idp.${env.COGNITO_REGION}.amazonaws.com/${env.COGNITO_USER_POOL_ID}`;
    state = {
      issuer,
      clientIds: env.COGNITO_CLIENT_IDS.split(',').map((id) => id.trim()).filter(Boolean),
      // jose keeps the fetched JWKS in this closure, refetching on an unknown kid (with its own cooldown).
      jwks: createRemoteJWKSet(new URL(env.COGNITO_JWKS_URL || `${issuer}/.well-known/jwks.json`)),
      leeway: Number(env.JWT_LEEWAY_SECONDS || 60),
      keyHashes: JSON.parse(env.API_KEYS).map((key) => hexBytes(key.sha256)),
      maxAge: Number(env.CATALOG_MAX_AGE || 60),
      aws: new AwsClient({
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        service: 'rds-data',
        region: env.AWS_REGION,
        retries: 0,
      }),
    };
  }
  return state;
}

function hexBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function envelope(status, data, cacheControl) {
  return new Response(JSON.stringify({ success: true, data }), {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': cacheControl },
  });
}

function failure(status, code, message, extra = {}) {
  return new Response(JSON.stringify({ success: false, error: { code, message, details: null } }), {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...extra },
  });
}

const app = new Hono();

app.get('/health', () => envelope(200, { status: 'ok' }, 'no-store'));

// Every other route needs a known API key: SHA-256 of the presented key, compared with each configured hash
// without an early exit (as our worker does). No usage plans or rate counters here.
app.use('*', async (c, next) => {
  if (c.req.path === '/health') return next();
  const presented = (c.req.header('x-api-key') || '').trim();
  if (!presented) return failure(401, 'API_KEY_INVALID', 'a valid x-api-key header is required');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(presented)));
  let found = false;
  for (const hash of isolate(c.env).keyHashes) {
    let diff = hash.length ^ digest.length;
    for (let i = 0; i < digest.length; i++) diff |= hash[i] ^ digest[i];
    if (diff === 0) found = true;
  }
  if (!found) return failure(401, 'API_KEY_INVALID', 'a valid x-api-key header is required');
  return next();
});

// GET /users/me: the caller, from a Cognito access token verified on EVERY request (RS256 through WebCrypto).
app.get('/users/me', async (c) => {
  const s = isolate(c.env);
  const authorization = c.req.header('authorization');
  const bearer = 'Bearer realm="momentum"';
  if (!authorization) return failure(401, 'UNAUTHORIZED', 'a bearer token is required', { 'www-authenticate': bearer });
  const [scheme, token] = authorization.trim().split(/\s+/, 2);
  const invalid = () =>
    failure(401, 'TOKEN_INVALID', 'the token is not valid', { 'www-authenticate': `${bearer}, error="invalid_token"` });
  if (!token || scheme.toLowerCase() !== 'bearer') return invalid();
  let payload;
  try {
    ({ payload } = await jwtVerify(token, s.jwks, {
      algorithms: ['RS256'],
      issuer: s.issuer,
      clockTolerance: s.leeway,
      requiredClaims: ['exp', 'sub', 'token_use'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      return failure(401, 'TOKEN_EXPIRED', 'the token has expired', {
        'www-authenticate': `${bearer}, error="invalid_token", error_description="the token has expired"`,
      });
    }
    return invalid();
  }
  if (payload.token_use !== 'access' || !s.clientIds.includes(payload.client_id)) return invalid();
  const groups = Array.isArray(payload['cognito:groups']) ? payload['cognito:groups'] : [];
  const role = groups.includes('admin') ? 'admin' : groups.includes('premium') ? 'premium' : 'free';
  // Our worker also answers `userId` (its database id, looked up once per isolate per sub); the peer has no
  // database of users, so it answers the token's identity only.
  return envelope(
    200,
    { sub: payload.sub, username: payload.username ?? payload['cognito:username'] ?? null, role, groups },
    'private, no-store',
  );
});

// GET /courses: the published catalog, one page. Cache API first; on a miss, the same statement our core sends,
// as a SigV4-signed Data API ExecuteStatement to the origin, then cached with Cache-Control max-age.
const COURSES_SQL =
  "SELECT c.id, c.title, c.description, cat.slug AS category, c.duration_days, c.price, " +
  "c.metadata->>'thumbnailUrl' AS thumbnail, " +
  '(SELECT count(*) FROM lessons l WHERE l.course_id = c.id) AS lessons_count ' +
  "FROM courses c JOIN categories cat ON cat.id = c.category_id WHERE c.status = 'published'";

app.get('/courses', async (c) => {
  const s = isolate(c.env);
  const url = new URL(c.req.url);
  for (const name of url.searchParams.keys()) {
    if (name !== 'category' && name !== 'limit') {
      return failure(400, 'VALIDATION_ERROR', `unknown query parameter ${name}`);
    }
  }
  const category = url.searchParams.get('category');
  if (category !== null && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(category)) {
    return failure(400, 'VALIDATION_ERROR', 'category must be a slug');
  }
  const rawLimit = url.searchParams.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1) return failure(400, 'VALIDATION_ERROR', 'limit must be a positive integer');
  const pageSize = Math.min(limit, 100);

  // One cache entry per canonical query (the key never holds the API key or the token).
  const key = new Request(`${url.origin}/courses?${category === null ? '' : `category=${category}&`}limit=${pageSize}`);
  const cache = caches.default;
  const hit = await cache.match(key);
  if (hit) {
    const answer = new Response(hit.body, hit);
    answer.headers.set('x-cache', 'HIT');
    return answer;
  }

  let sql = COURSES_SQL;
  const parameters = [];
  if (category !== null) {
    sql += ' AND cat.slug = :category';
    parameters.push({ name: 'category', value: { stringValue: category } });
  }
  sql += ' ORDER BY c.title, c.id LIMIT :limit';
  parameters.push({ name: 'limit', value: { longValue: pageSize + 1 } });
  let origin;
  try {
    origin = await s.aws.fetch(`${c.env.DATA_API_ENDPOINT.replace(/\/$/, '')}/Execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceArn: c.env.DB_RESOURCE_ARN,
        secretArn: c.env.DB_SECRET_ARN,
        database: c.env.DB_NAME,
        sql,
        parameters,
        includeResultMetadata: false,
        formatRecordsAs: 'JSON',
      }),
    });
  } catch {
    return failure(503, 'ORIGIN_UNAVAILABLE', 'the origin is temporarily unavailable; retry later', { 'retry-after': '1' });
  }
  if (!origin.ok) return failure(502, 'ORIGIN_ERROR', 'the origin returned an unusable answer');
  const rows = JSON.parse((await origin.json()).formattedRecords || '[]');
  const items = rows.slice(0, pageSize).map((row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    category: row.category,
    durationDays: row.duration_days,
    price: row.price,
    thumbnail: row.thumbnail ?? null,
    lessonsCount: row.lessons_count,
  }));
  // Pagination cursors are not implemented in the peer: it says whether there is more, no more.
  const data = { items, nextCursor: null, hasMore: rows.length > pageSize, limit: pageSize };
  // Prices are exact decimals: written as JSON numbers from the origin's text, never through a float.
  const body = JSON.stringify({ success: true, data }).replace(/"price":"(-?\d+(?:\.\d+)?)"/g, '"price":$1');
  const answer = new Response(body, {
    headers: { 'content-type': JSON_TYPE, 'cache-control': `public, max-age=${s.maxAge}`, 'x-cache': 'MISS' },
  });
  c.executionCtx.waitUntil(cache.put(key, answer.clone()));
  return answer;
});

app.notFound(() => failure(404, 'NOT_FOUND', 'no such route'));
app.onError((err) => {
  console.error(err);
  return failure(500, 'INTERNAL_ERROR', 'internal error');
});

export default app;

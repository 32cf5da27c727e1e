/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * Helpers for tests that talk to the emulator over real sockets (no HTTP mocking):
 * a tiny request function trusting the test CA, token fetching, client-assertion building.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { FIXTURE } from './fixture';
import { certThumbprints, signJwt, type JwtAlg } from './jwt';

export interface SimpleResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
	json: any;
}

export function request(
	url: string,
	opts: {
		method?: string;
		headers?: Record<string, string>;
		body?: string | object;
		ca?: string;
	} = {},
): Promise<SimpleResponse> {
	const u = new URL(url);
	const body =
		opts.body === undefined
			? undefined
			: typeof opts.body === 'string'
				? opts.body
				: JSON.stringify(opts.body);
	const headers: Record<string, string> = { ...(opts.headers ?? {}) };
	if (body !== undefined && typeof opts.body === 'object' && !headers['content-type']) {
		headers['content-type'] = 'application/json';
	}
	if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
	const mod = u.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const req = mod.request(
			u,
			{ method: opts.method ?? 'GET', headers, ca: opts.ca ?? FIXTURE.tls.caPem, agent: false },
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('error', reject);
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json: unknown;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
				});
			},
		);
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

export function form(fields: Record<string, string | undefined>): string {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, v);
	return p.toString();
}

export async function tokenRequest(
	baseUrl: string,
	tenant: string,
	fields: Record<string, string | undefined>,
	headers: Record<string, string> = {},
): Promise<SimpleResponse> {
	return request(`${baseUrl}/${tenant}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
		body: form({ grant_type: 'client_credentials', ...fields }),
	});
}

/** Fetches an access token with a client secret; throws on failure. */
export async function getToken(
	baseUrl: string,
	opts: { tenant?: string; clientId?: string; secret?: string; scope: string },
): Promise<string> {
	const r = await tokenRequest(baseUrl, opts.tenant ?? FIXTURE.tenants.A.id, {
		client_id: opts.clientId ?? FIXTURE.apps.full.clientId,
		client_secret: opts.secret ?? FIXTURE.apps.full.secret,
		scope: opts.scope,
	});
	if (r.status !== 200) throw new Error(`token request failed ${r.status}: ${r.text}`);
	return r.json.access_token as string;
}

export interface AssertionOptions {
	tokenUrl: string;
	clientId?: string;
	certPem?: string;
	keyPem?: string;
	alg?: JwtAlg;
	/** Which thumbprint header to send (default: x5t#S256 for PS256, x5t for RS256). */
	thumbprint?: 'x5t' | 'x5t#S256';
	nowSec?: number;
	lifetimeSec?: number;
	jti?: string;
	claims?: Record<string, unknown>;
}

export function makeAssertion(o: AssertionOptions): string {
	const clientId = o.clientId ?? FIXTURE.apps.full.clientId;
	const alg = o.alg ?? 'PS256';
	const tp = certThumbprints(o.certPem ?? FIXTURE.apps.full.certPem);
	const which = o.thumbprint ?? (alg === 'PS256' ? 'x5t#S256' : 'x5t');
	const now = o.nowSec ?? Math.floor(Date.now() / 1000);
	const header = { typ: 'JWT', [which]: which === 'x5t' ? tp.x5t : tp.x5tS256 };
	const payload = {
		aud: o.tokenUrl,
		iss: clientId,
		sub: clientId,
		jti: o.jti ?? crypto.randomUUID(),
		nbf: now,
		iat: now,
		exp: now + (o.lifetimeSec ?? 600),
		...(o.claims ?? {}),
	};
	return signJwt(
		header,
		payload,
		crypto.createPrivateKey(o.keyPem ?? FIXTURE.apps.full.keyPem),
		alg,
	);
}

/** Decodes a JWT payload without verification. */
export function jwtPayload(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

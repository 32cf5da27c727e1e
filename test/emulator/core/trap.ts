/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * "Another host" for redirect faults: a plain HTTP server on another port of 127.0.0.1 (another
 * origin). It records everything that reaches it, so tests can prove that no token, secret or
 * assertion did, and answers like an attacker would: JSON that passes for a machine, a list and
 * a token answer at once.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrapRequest {
	method: string;
	path: string;
	/** The Authorization header, if one arrived (a leak when it carries a token). */
	authorization?: string;
	headers: Record<string, string>;
	body: string;
}

export interface Trap {
	url: string;
	requests: TrapRequest[];
	clear(): void;
	close(): Promise<void>;
}

export const TRAP_MACHINE_ID = 'ffffffffffffffffffffffffffffffffffff7a9d';

export async function startTrap(): Promise<Trap> {
	const requests: TrapRequest[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const headers: Record<string, string> = {};
			for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
			requests.push({
				method: req.method ?? 'GET',
				path: req.url ?? '/',
				authorization: headers.authorization,
				headers,
				body: Buffer.concat(chunks).toString('utf8'),
			});
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					id: TRAP_MACHINE_ID,
					computerDnsName: 'redirect-trap',
					value: [],
					access_token: 'trap-token',
					token_type: 'Bearer',
					expires_in: 3599,
				}),
			);
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		clear: () => {
			requests.length = 0;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

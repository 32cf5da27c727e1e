/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions */
/**
 * Shared bench helpers: the emulator child process, its control routes, the raw-HTTP (axios)
 * baseline client, statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import axios, { type AxiosInstance } from 'axios';

import { FIXTURE } from '../test/emulator/core/fixture';
import type { CaseResults, Row } from './cases';

export const TENANT = FIXTURE.tenants.A.id;
export const APP = FIXTURE.apps.full;

export const SCOPES = {
	mde: 'https://api.securitycenter.microsoft.com/.default',
	graph: 'https://graph.microsoft.com/.default',
} as const;

/** `node --import tsx <file> args…` (one process, so its resource usage is the script's own). */
export function spawnTs(
	file: string,
	args: string[],
	opts: { stdio?: 'pipe' | 'inherit' } = {},
): ChildProcess {
	return spawn(process.execPath, ['--import', 'tsx', path.resolve(file), ...args], {
		stdio: opts.stdio === 'inherit' ? ['pipe', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
		env: { ...process.env, NODE_NO_WARNINGS: '1' },
	});
}

export interface EmulatorProcess {
	url: string;
	pid: number;
	genMs: number;
	close(): Promise<void>;
}

/** Starts `bench/emulator.ts` in its own process and waits for EMULATOR_READY. */
export async function spawnEmulator(options: Record<string, unknown>): Promise<EmulatorProcess> {
	const child = spawnTs('bench/emulator.ts', [JSON.stringify(options)]);
	let stderr = '';
	child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
	const ready = await new Promise<{ httpUrl: string; pid: number; genMs: number }>(
		(resolve, reject) => {
			let buf = '';
			child.stdout?.on('data', (d: Buffer) => {
				buf += d.toString();
				const m = /EMULATOR_READY (\{.*\})/.exec(buf);
				if (m) resolve(JSON.parse(m[1]));
			});
			child.on('exit', (code) =>
				reject(new Error(`emulator exited (${code}) before it was ready: ${stderr}`)),
			);
		},
	);
	return {
		url: ready.httpUrl,
		pid: ready.pid,
		genMs: ready.genMs,
		close: () =>
			new Promise<void>((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

/** A plain axios client (keep-alive, no proxy), the same library the harness uses underneath. */
export function rawClient(): AxiosInstance {
	return axios.create({
		proxy: false,
		timeout: 300_000,
		httpAgent: new http.Agent({ keepAlive: true }),
		maxContentLength: Infinity,
		maxBodyLength: Infinity,
	});
}

/* ------------------------------------------------------------------ control routes */

export interface LogEntry {
	method: string;
	path: string;
	query: Record<string, string>;
	family: string;
	audience?: string;
	scope?: string;
	status: number;
	quota?: string;
}

export class Control {
	// No keep-alive: control calls come seconds apart, and a socket the server closes as idle
	// (keepAliveTimeout 5 s) while the client reuses it fails with "socket hang up".
	private http = axios.create({
		proxy: false,
		timeout: 60_000,
		httpAgent: new http.Agent({ keepAlive: false }),
	});
	constructor(private url: string) {}
	async clearLog(): Promise<void> {
		await this.http.delete(`${this.url}/_control/log`);
	}
	async log(): Promise<LogEntry[]> {
		return (await this.http.get(`${this.url}/_control/log`)).data as LogEntry[];
	}
	async resetQuotas(): Promise<void> {
		await this.http.delete(`${this.url}/_control/quotas`);
	}
	async reset(): Promise<void> {
		await this.http.post(`${this.url}/_control/reset`, {});
	}
	async store<T = unknown>(method: string, args: unknown[]): Promise<T> {
		return (await this.http.post(`${this.url}/_control/tenants/A/store/${method}`, args)).data as T;
	}
	async counts(): Promise<Record<string, number>> {
		return (await this.http.get(`${this.url}/_control/tenants/A/counts`)).data as Record<
			string,
			number
		>;
	}
}

export const isTokenCall = (e: LogEntry) =>
	e.family === 'entra' && e.path.endsWith('/oauth2/v2.0/token');
export const isApiCall = (e: LogEntry) => e.family !== 'entra' && e.family !== 'control';

/* ------------------------------------------------------------------ raw baseline */

export async function rawToken(client: AxiosInstance, url: string, scope: string): Promise<string> {
	const form = new URLSearchParams({
		client_id: APP.clientId,
		client_secret: APP.secret,
		grant_type: 'client_credentials',
		scope,
	});
	const res = await client.post(`${url}/${TENANT}/oauth2/v2.0/token`, form.toString(), {
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	return (res.data as { access_token: string }).access_token;
}

/** GET every page of a collection by following @odata.nextLink; returns the records. */
export async function rawPages(
	client: AxiosInstance,
	firstUrl: string,
	token: string,
	headers: Record<string, string> = {},
): Promise<unknown[]> {
	const all: unknown[] = [];
	let next: string | undefined = firstUrl;
	while (next) {
		const res = await client.get(next, {
			headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...headers },
		});
		const body = res.data as { value?: unknown[]; '@odata.nextLink'?: string };
		const value = body.value ?? [];
		for (const r of value) all.push(r);
		next = body['@odata.nextLink'];
	}
	return all;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------ statistics */

export function median(xs: number[]): number {
	if (!xs.length) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Whether there are values and their median (even count: the mean of the two middle ones) is at most `max`. */
export function medianAtMost(xs: number[], max: number): boolean {
	return xs.length > 0 && median(xs) <= max;
}

/**
 * Memory rows of a case: peak RSS and RSS growth per side and, given the bytes the case moved,
 * growth ÷ bytes; `target` puts a pass/fail on the node's median ratio.
 */
export function memoryRows(
	r: CaseResults,
	moved?: { bytes: number; what: string; target?: { max: number; text: string } },
): Row[] {
	const rows: Row[] = [];
	const MiB = 2 ** 20;
	for (const side of ['node', 'baseline'] as const) {
		const m = r.memory[side];
		if (!m.length) continue;
		rows.push({ metric: `peak RSS, ${side} (fresh process per run)`, values: m.map((x) => x.maxRss / MiB), unit: 'MiB' });
		rows.push({ metric: `RSS growth during the run, ${side}`, values: m.map((x) => (x.maxRss - x.rssBefore) / MiB), unit: 'MiB' });
		if (moved?.bytes) {
			const ratios = m.map((x) => (x.maxRss - x.rssBefore) / moved.bytes);
			const target = side === 'node' ? moved.target : undefined;
			rows.push({
				metric: `${side} RSS growth ÷ ${moved.what}`,
				values: ratios,
				unit: '×',
				...(target && { target: target.text, pass: medianAtMost(ratios, target.max) }),
			});
		}
	}
	return rows;
}

export function summary(xs: number[]): { median: number; min: number; max: number; n: number } {
	return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

export const MB = 1024 * 1024;

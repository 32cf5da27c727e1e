/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * Property-based fuzzing (fast-check) of the parameters that reach a URL path, an OData filter,
 * a request body or the token URL. Every case must end in one of two ways:
 *  - a NodeOperationError that names the parameter, with nothing sent to the API; or
 *  - requests whose path and $filter are exactly what the user meant (read from the emulator's
 *    request log): the trimmed value, URL-encoded in a path segment, quoted and escaped in a filter.
 *
 * `npm test` runs a fixed-seed sample (FUZZ_RUNS, default 12 per target); `npm run test:faults`
 * runs the full sweep (FUZZ_RUNS=250). FUZZ_REPORT=<file> writes the case counts as JSON.
 */
import { writeFileSync } from 'node:fs';

import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { resetTransportState } from '../../nodes/MicrosoftDefender/transport';

import { apiCalls, run, startEmu, storeOf, TENANT_A, type Emulator } from './node.helpers';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);

/* ------------------------------------------------------------------ generators */

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', 'a\ud83d', '\ude00b'];

/** The pieces the probe used: quotes, `)`, ` or `, `/`, `..`, `?`, `#`, `%2F`, unicode, control characters. */
const hostilePiece = fc.constantFrom(
	"'",
	"''",
	')',
	'(',
	' or ',
	" or 1 eq 1 or 'a' eq '",
	')or(',
	"'x'or",
	'/',
	'\\',
	'..',
	'.',
	'?',
	'#',
	'%2F',
	'%',
	'%00',
	'&$top=1',
	'ü',
	'Ω',
	'😀',
	'\u202e',
	'\u0000',
	'\u0007',
	'\n',
	'\r\n',
	'\t',
	'\u007f',
	' ',
	...LONE_SURROGATES,
);

/**
 * Hostile text. A value starting with "=" is an n8n expression, not text the user typed (n8n
 * evaluates it before the node sees it), so such values are left out.
 */
const hostileText = fc.oneof(
	{ weight: 4, arbitrary: fc.array(fc.oneof(hostilePiece, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')) },
	{ weight: 1, arbitrary: hostilePiece },
	{ weight: 1, arbitrary: fc.constantFrom('', ' ', '..', '.', '/', '%2F..%2F', 'x'.repeat(10000), 'é'.repeat(10000)) },
	{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const hostileString = hostileText.filter((s) => !s.startsWith('='));

/** Numbers, objects and arrays where text is expected. */
const wrongType = fc.oneof(
	fc.integer({ min: -1e9, max: 1e9 }),
	fc.double(),
	fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 1, -0, true, false, null),
	fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
	fc.object({ maxDepth: 1, maxKeys: 2 }),
);

const anyInput = fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: wrongType });

/** Dates: real ones, impossible ones (2024-02-30, month 13, 24:00), junk. */
const dateInput = fc.oneof(
	fc
		.record({
			y: fc.integer({ min: 1969, max: 2100 }),
			m: fc.integer({ min: 0, max: 13 }),
			d: fc.integer({ min: 0, max: 32 }),
			h: fc.integer({ min: 0, max: 25 }),
			mi: fc.integer({ min: 0, max: 61 }),
			zone: fc.constantFrom('Z', '', '+02:00', '-0530'),
		})
		.map(({ y, m, d, h, mi, zone }) => {
			const p = (n: number, w = 2) => String(n).padStart(w, '0');
			return `${p(y, 4)}-${p(m)}-${p(d)}T${p(h)}:${p(mi)}:00${zone}`;
		}),
	fc.constantFrom('2024-02-30', '2023-02-29', '2024-02-29', '2024-04-31', '2024-13-01', 'yesterday', '0', '1e12', '2024-01-01T24:00:00Z'),
	wrongType,
);

/** Limits: negative, huge, fractional, text. */
const limitInput = fc.oneof(
	fc.integer({ min: -5, max: 30 }),
	fc.constantFrom(0, -1, 1e12, 2 ** 53 + 1, 0.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '7', 'ten', '', null, [3], { n: 3 }),
);

/** Tenant overrides an MSSP expression could produce. */
const tenantInput = fc.oneof(
	fc.constantFrom(
		'22222222-2222-4222-8222-222222222222',
		'fabrikam.onmicrosoft.com',
		'../common',
		'common/oauth2',
		'a?b=c',
		'evil.com#',
		'11111111-1111-4111-8111-111111111111/../x',
		'%2e%2e',
		'contoso.onmicrosoft.com\r\nX: y',
		'\ud800',
	),
	hostileString,
	// Non-text overrides (={{ 123 }}, arrays, true): refused, never the credential's own tenant.
	wrongType,
);

/* ------------------------------------------------------------------ oracle */

function isWellFormed(s: string): boolean {
	return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** OData string literal as the node must write it. */
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface Target {
	name: string;
	/** Display name the error must quote. */
	parameter: RegExp;
	input: fc.Arbitrary<unknown>;
	params: (value: unknown) => Record<string, unknown>;
	/** The API request the node must have made for this value (checked against the log). */
	expect: (value: unknown) => { path?: string; filter?: string; query?: Record<string, string> };
	/** Extra check after a successful run. */
	after?: (emu: Emulator, value: unknown) => void;
	/** Replaces the generic "sent exactly as meant" check (the token URL has its own log family). */
	sentCheck?: (emu: Emulator, value: unknown) => void;
}

const asText = (v: unknown) => (v === null || v === undefined ? '' : String(v)).trim();

/** An empty text filter means "no filter"; anything else is one escaped literal. */
const textFilter = (v: unknown, clause: (literal: string) => string) => (asText(v) === '' ? undefined : clause(lit(asText(v))));

const TARGETS: Target[] = [
	{
		name: 'Machine (By Name) → path',
		parameter: /"Machine \(By Name\)"/,
		input: anyInput,
		params: (v) => ({ resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'name', value: v } }),
		expect: (v) => ({ path: `/api/machines/${asText(v)}` }),
	},
	{
		name: 'Machine (By ID) → path',
		parameter: /"Machine"/,
		input: fc.oneof(anyInput, fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 40, maxLength: 40 })),
		params: (v) => ({ resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: v } }),
		expect: (v) => ({ path: `/api/machines/${asText(v).toLowerCase()}` }),
	},
	{
		name: 'Alert ID (MDE) → path',
		parameter: /"Alert"/,
		input: anyInput,
		params: (v) => ({ resource: 'alert', operation: 'get', api: 'mde', alertId: { __rl: true, mode: 'id', value: v } }),
		expect: (v) => ({ path: `/api/alerts/${asText(v)}` }),
	},
	{
		name: 'Incident ID (Graph) → path',
		parameter: /"Incident"/,
		input: fc.oneof(anyInput, fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }).map(String)),
		params: (v) => ({ resource: 'incident', operation: 'get', incidentId: { __rl: true, mode: 'id', value: v } }),
		expect: (v) => ({ path: `/v1.0/security/incidents/${asText(v)}` }),
	},
	{
		name: 'Software ID → path',
		parameter: /"Software ID"/,
		input: fc.oneof(anyInput, hostileString.map((s) => `vendor-_-${s}`)),
		params: (v) => ({ resource: 'software', operation: 'get', softwareId: v }),
		expect: (v) => ({ path: `/api/Software/${asText(v)}` }),
	},
	{
		name: 'Machine filter Name (equals) → $filter',
		parameter: /"Filters > Name"/,
		input: anyInput,
		params: (v) => ({ resource: 'machine', operation: 'getAll', filters: { name: v, nameMatch: 'equals' } }),
		expect: (v) => ({ path: '/api/machines', filter: textFilter(v, (l) => `computerDnsName eq ${l}`) }),
	},
	{
		name: 'Machine filter Tag → $filter',
		parameter: /"Filters > Tag"/,
		input: anyInput,
		params: (v) => ({ resource: 'machine', operation: 'getAll', filters: { tag: v } }),
		expect: (v) => ({ path: '/api/machines', filter: textFilter(v, (l) => `machineTags/any(x: x eq ${l})`) }),
	},
	{
		name: 'Machine Action filter Requestor → $filter',
		parameter: /"Filters > Requestor"/,
		input: anyInput,
		params: (v) => ({ resource: 'machineAction', operation: 'getAll', filters: { requestor: v } }),
		expect: (v) => ({ path: '/api/machineactions', filter: textFilter(v, (l) => `requestor eq ${l}`) }),
	},
	{
		name: 'Indicator filter Value → $filter',
		parameter: /"Filters > Indicator Value"/,
		input: anyInput,
		params: (v) => ({ resource: 'indicator', operation: 'getAll', filters: { indicatorValue: v } }),
		expect: (v) => ({ path: '/api/indicators', filter: textFilter(v, (l) => `indicatorValue eq ${l}`) }),
	},
	{
		name: 'Vulnerability filter CVE ID → $filter',
		parameter: /"Filters > CVE ID"/,
		input: fc.oneof(anyInput, fc.integer({ min: 0, max: 99999 }).map((n) => `cve-2024-${n}`)),
		params: (v) => ({ resource: 'vulnerability', operation: 'getAll', filters: { cveId: v } }),
		expect: (v) => ({ path: '/api/vulnerabilities', filter: asText(v) === '' ? undefined : `id eq ${lit(asText(v).toUpperCase())}` }),
	},
	{
		name: 'Machine filter Risk Score (multi-option) → $filter',
		parameter: /"Filters > Risk Score"/,
		input: fc.oneof(anyInput, fc.subarray(['High', 'Low', 'Medium'], { minLength: 1 })),
		params: (v) => ({ resource: 'machine', operation: 'getAll', filters: { riskScore: v } }),
		expect: (v) => {
			if (v === null || v === undefined || v === '') return { path: '/api/machines', filter: undefined };
			const values = (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((x) => x.trim()).filter(Boolean);
			const canonical = [...new Set(values.map((x) => ['High', 'Informational', 'Low', 'Medium', 'None'].find((o) => o.toLowerCase() === x.toLowerCase()) ?? x))];
			const clause = canonical.map((x) => `riskScore eq ${lit(x)}`);
			return { path: '/api/machines', filter: clause.length > 1 ? `(${clause.join(' or ')})` : clause[0] };
		},
	},
	{
		name: 'Alert (MDE) filter Created Since → $filter',
		parameter: /"Filters > Created Since"/,
		input: dateInput,
		params: (v) => ({ resource: 'alert', operation: 'getAll', api: 'mde', filters: { createdSince: v } }),
		expect: (v) => ({ path: '/api/alerts', filter: v === null || v === '' ? undefined : `alertCreationTime ge ${referenceIso(v)}` }),
	},
	{
		name: 'Limit → $top',
		parameter: /"Limit"/,
		input: limitInput,
		params: (v) => ({ resource: 'machineAction', operation: 'getAll', returnAll: false, limit: v }),
		expect: (v) => ({ path: '/api/machineactions', query: { $top: String(Math.min(10000, Number(v))) } }),
	},
	{
		name: 'MDE alert comment → body',
		parameter: /"Comment"/,
		input: anyInput,
		params: (v) => ({ resource: 'alert', operation: 'addComment', api: 'mde', alertId: { __rl: true, mode: 'id', value: fuzzAlertId }, comment: v }),
		expect: () => ({ path: `/api/alerts/${fuzzAlertId}` }),
		after: (emu, v) => {
			const alert = (storeOf(emu).alerts as IDataObject[]).find((a) => a.id === fuzzAlertId)!;
			const comments = alert.comments as IDataObject[];
			expect(comments[comments.length - 1].comment).toBe(String(v));
		},
	},
	{
		name: 'Tenant ID Override → token URL',
		parameter: /"?Tenant ID Override"?/,
		input: tenantInput,
		params: (v) => ({ resource: 'machineAction', operation: 'getAll', limit: 1, requestOptions: { tenantId: v } }),
		expect: () => ({}),
		sentCheck: (emu, v) => {
			// Whatever Entra answered (an unknown tenant is its error to give), the token was asked
			// for exactly the tenant typed, as one path segment.
			const tokens = emu.log.filter((e) => e.family === 'entra');
			const tenant = asText(v);
			if (tenant === '') {
				// No override: the credential's own tenant (its token may already be cached).
				expect(apiCalls(emu).length).toBeGreaterThan(0);
				for (const t of tokens) expect(t.path.split('/')[1]).toBe(TENANT_A);
				return;
			}
			expect(tokens.length).toBeGreaterThan(0);
			for (const t of tokens) expect(t.path.split('/').map(decodeURIComponent)).toEqual(['', tenant, 'oauth2', 'v2.0', 'token']);
		},
	},
];

/** The ISO form a correct date parser gives, or undefined for an impossible date. */
function referenceIso(v: unknown): string | undefined {
	if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString();
	if (typeof v !== 'string') return undefined;
	const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
	if (!m) return undefined;
	const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
	if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || s > 59) return undefined;
	const zone = m[7] ?? 'Z';
	let ms = Date.UTC(y, mo - 1, d, h, mi, s);
	if (zone !== 'Z') {
		const sign = zone.startsWith('-') ? -1 : 1;
		const digits = zone.slice(1).replace(':', '');
		ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60000;
	}
	return new Date(ms).toISOString();
}

let fuzzAlertId = '';

const counts: Record<string, { cases: number; refused: number; sent: number }> = {};

describe('fuzzing: every case is refused naming the parameter, or sent exactly as meant', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 10, alerts: 10, incidents: 5, huntingRows: 5 } });
		fuzzAlertId = String((storeOf(emu).alerts as IDataObject[])[0].id);
	});
	afterAll(async () => {
		if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ runs: RUNS, seed: SEED, counts }, null, 2));
		await emu.close();
	});

	for (const target of TARGETS) {
		it(target.name, async () => {
			const tally = (counts[target.name] = { cases: 0, refused: 0, sent: 0 });
			await fc.assert(
				fc.asyncProperty(target.input, async (value) => {
					tally.cases++;
					resetTransportState();
					emu.clearLog();
					let error: (Error & { description?: string }) | undefined;
					try {
						await run(emu, { ...target.params(value), requestOptions: { maxRetries: 0, ...(target.params(value).requestOptions as IDataObject) } });
					} catch (e) {
						error = e as Error;
					}
					const calls = apiCalls(emu);
					if (error instanceof NodeOperationError) {
						// Refused: named, and nothing reached the API.
						expect(error.message).toMatch(target.parameter);
						expect(calls).toHaveLength(0);
						expect(isWellFormed(error.message)).toBe(true);
						tally.refused++;
						return;
					}
					if (target.sentCheck) {
						target.sentCheck(emu, value);
						tally.sent++;
						return;
					}
					// Sent (the API may still have answered 404): exactly what the user meant.
					const wanted = target.expect(value);
					expect(calls.length).toBeGreaterThan(0);
					const first = calls[0];
					if (wanted.path !== undefined) expect(decodeURIComponent(first.path)).toBe(wanted.path);
					if (target.name.includes('$filter') || wanted.filter !== undefined) expect(first.query.$filter).toBe(wanted.filter);
					for (const [k, v] of Object.entries(wanted.query ?? {})) expect(first.query[k]).toBe(v);
					if (!error) target.after?.(emu, value);
					tally.sent++;
				}),
				{ numRuns: RUNS, seed: SEED, endOnFailure: true },
			);
		});
	}
});

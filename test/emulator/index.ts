/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * startEmulator: one HTTP and one HTTPS server on 127.0.0.1 sharing one pipeline
 * (Entra token endpoint, MDE, XDR and Graph routes, control routes). See README.md.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { QuotaBucket, RouteDef } from './types';
import { variantsForSeed, type EmulatorMode, type EmulatorVariants } from './contract';
import type { DefenderStore } from './data/store';
import { Clock, newSigningKey, type CoreContext, type RequestLogEntry } from './core/context';
import { createControl } from './core/control';
import { Faults, type FaultKind, type FaultOptions } from './core/faults';
import { defaultFixture, FIXTURE, type Fixture, type FixtureApp } from './core/fixture';
import { startTrap, type Trap } from './core/trap';
import { DEFAULT_QUOTAS, Quotas, type QuotaLimit } from './core/quotas';
import { createPipeline } from './core/server';
import { resetDelegated, revokeUser } from './core/delegated';

export { FIXTURE } from './core/fixture';
export type { EmulatorMode, EmulatorVariants } from './contract';
export type { RequestLogEntry } from './core/context';
export type { FaultKind, FaultOptions } from './core/faults';
export { TRAP_MACHINE_ID, type Trap, type TrapRequest } from './core/trap';

export interface EmulatorSizes {
	machines?: number;
	alerts?: number;
	incidents?: number;
	huntingRows?: number;
}

export interface EmulatorOptions<S = DefenderStore> {
	/** HTTP port (0 = random free port). */
	port?: number;
	/** HTTPS port (0 = random free port). */
	httpsPort?: number;
	seed?: number;
	sizes?: EmulatorSizes;
	/** Access token lifetime (`expires_in`), seconds. Default 3599. */
	tokenLifetimeSec?: number;
	/** Quota windows run this many times faster (60 → a minute lasts a second). Default 1. */
	timeScale?: number;
	actionTiming?: {
		pendingMs: number;
		inProgressMs: number;
		outcome?: 'Succeeded' | 'Failed' | 'TimeOut';
	};
	/** Override limits per bucket, or `false` to disable quotas. */
	quotas?: Partial<Record<QuotaBucket, QuotaLimit>> | false;
	fixture?: Fixture;
	/** Route table; default: the Defender routes from ./api. */
	routes?: RouteDef<never>[];
	/** Store factory per tenant; default: `new DefenderStore(...)` from ./data/store. */
	createStore?: (tenantId: string, index: number, domain: string) => S;
	/** Allowed clock skew for client assertions, seconds. Default 300. */
	assertionSkewSec?: number;
	/** Reject a client assertion whose `jti` was seen before. Default true. */
	rejectReplayedJti?: boolean;
	/** Request log cap (oldest dropped). Default 100,000. */
	maxLog?: number;
	/**
	 * Strict by default: exactly the documented permissions, query options and enum values
	 * (contract.ts), and the seeded hostile variant wherever the docs are silent. A test that
	 * cannot meet the contract passes `{ lenient: 'why' }`; the reason is required.
	 */
	strict?: true | { lenient: string };
	/** Pin variants instead of deriving them from `seed` (tests that cover each variant). */
	variants?: Partial<EmulatorVariants>;
}

export interface EmulatorHandle<S = DefenderStore> {
	httpUrl: string;
	httpsUrl: string;
	/** The fixture in effect (tenants by id, apps by client id). The named constants: `FIXTURE`. */
	tenants: Fixture;
	fixture: Fixture;
	/** Test CA that signed the HTTPS certificate (PEM). */
	caPem: string;
	/** The tenant's store (GUID, domain or fixture letter A/B/C); created on first use. */
	store(tenant: string): S;
	log: RequestLogEntry[];
	clearLog(): void;
	/**
	 * Another origin (a port of 127.0.0.1) that 'redirect' faults point to by default; records
	 * every request that reaches it (a token or secret there is a leak).
	 */
	trap: Trap;
	faults: {
		next(n: number, kind: FaultKind, opts?: string | FaultOptions): void;
		latency(ms: number): void;
		clear(): void;
		pending(): Array<{ kind: FaultKind; remaining: number; path?: string }>;
	};
	now(): number;
	/** Freeze the emulator clock at `ms` (moves only with `advance` until `useRealTime`). */
	setNow(ms: number): void;
	advance(ms: number): void;
	useRealTime(): void;
	/** Forget every quota window (counts start again). */
	resetQuotas(): void;
	/** Clear log, faults, quota windows, assertion replay cache, clock and stores. */
	reset(): void;
	/** Public key that signs access tokens (tests may verify tokens with it). */
	tokenSigningKeyPem: string;
	/** Revokes every refresh token of a user (upn or object id), like "Revoke sessions"; returns how many. */
	revokeSignIns(user: string): number;
	/** Strict or lenient (and why), and the variants in effect. */
	mode: EmulatorMode;
	/** Register one more app (e.g. one holding exactly a given set of roles). */
	addApp(app: FixtureApp): void;
	close(): Promise<void>;
}

function loadDefaultRoutes(): RouteDef<never>[] {
	// Lazy so the core can run (and be tested) with its own route table.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require('./api').routes as RouteDef<never>[];
}

function loadDefaultStoreFactory(opts: EmulatorOptions<unknown>, clock: Clock) {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { DefenderStore } = require('./data/store') as {
		DefenderStore: new (o: unknown) => unknown;
	};
	return (tenantId: string, index: number, domain?: string) =>
		new DefenderStore({
			tenantId,
			...(domain ? { domain: domain.replace(/\.onmicrosoft\.com$/i, '.com') } : {}),
			seed: (opts.seed ?? 1) + index,
			...(opts.sizes ?? {}),
			now: () => clock.now(),
			actionTiming: opts.actionTiming,
		});
}

function listen(server: http.Server, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

export async function startEmulator<S = DefenderStore>(
	options: EmulatorOptions<S> = {},
): Promise<EmulatorHandle<S>> {
	const fixture = options.fixture ?? defaultFixture();
	const clock = new Clock();
	const timeScale = options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
	const limits =
		options.quotas === false ? false : { ...DEFAULT_QUOTAS, ...(options.quotas ?? {}) };
	const quotas = new Quotas(limits as Record<QuotaBucket, QuotaLimit> | false, timeScale);
	const faults = new Faults();
	const log: RequestLogEntry[] = [];
	const routes = options.routes ?? loadDefaultRoutes();
	const createStore = (options.createStore ??
		loadDefaultStoreFactory(options as EmulatorOptions<unknown>, clock)) as (
		tenantId: string,
		index: number,
		domain: string,
	) => S;
	const tenantIds = Object.keys(fixture.tenants);
	let stores = new Map<string, S>();
	const origins: string[] = [];

	const ctx: CoreContext = {
		fixture,
		clock,
		tokenLifetimeSec: options.tokenLifetimeSec ?? 3599,
		assertionSkewSec: options.assertionSkewSec ?? 300,
		rejectReplayedJti: options.rejectReplayedJti ?? true,
		signing: newSigningKey(),
		usedJti: new Map(),
		origins: () => origins,
	};

	const resolveTenantId = (t: string): string => {
		const key = t.toLowerCase();
		if (fixture.tenants[key]) return key;
		const byLetter = (FIXTURE.tenants as Record<string, { id: string }>)[t.toUpperCase()];
		if (byLetter && fixture.tenants[byLetter.id]) return byLetter.id;
		const byDomain = Object.values(fixture.tenants).find(
			(x) => x.domain.toLowerCase() === key || x.id === key,
		);
		if (byDomain) return byDomain.id;
		throw new Error(`unknown tenant ${t}`);
	};
	const getStore = (tenant: string) => {
		const id = resolveTenantId(tenant);
		let s = stores.get(id);
		if (!s) {
			s = createStore(id, tenantIds.indexOf(id), fixture.tenants[id].domain);
			stores.set(id, s);
		}
		return s;
	};

	const lenient = options.strict !== undefined && options.strict !== true ? options.strict.lenient : undefined;
	if (lenient !== undefined && !lenient.trim()) throw new Error('startEmulator: strict: { lenient } needs the reason');
	const mode: EmulatorMode = {
		strict: lenient === undefined,
		...(lenient !== undefined ? { lenientReason: lenient } : {}),
		variants: { ...variantsForSeed(options.seed ?? 1), ...(options.variants ?? {}) },
	};

	const trap = await startTrap();
	const handleRef: { current?: EmulatorHandle<S> } = {};
	const pipeline = createPipeline({
		ctx,
		routes,
		getStore,
		quotas,
		faults,
		timeScale,
		log,
		maxLog: options.maxLog ?? 100_000,
		control: createControl(() => handleRef.current!),
		mode,
		trapUrl: () => trap.url,
	});

	const httpServer = http.createServer({ keepAliveTimeout: 5000 }, pipeline);
	const httpsServer = https.createServer(
		{ key: FIXTURE.tls.serverKeyPem, cert: FIXTURE.tls.serverCertPem, keepAliveTimeout: 5000 },
		pipeline,
	);
	const httpPort = await listen(httpServer, options.port ?? 0);
	const httpsPort = await listen(httpsServer as unknown as http.Server, options.httpsPort ?? 0);
	for (const h of ['127.0.0.1', 'localhost']) {
		origins.push(`http://${h}:${httpPort}`, `https://${h}:${httpsPort}`);
	}

	const handle: EmulatorHandle<S> = {
		httpUrl: `http://127.0.0.1:${httpPort}`,
		httpsUrl: `https://127.0.0.1:${httpsPort}`,
		tenants: fixture,
		fixture,
		caPem: FIXTURE.tls.caPem,
		store: getStore,
		log,
		trap,
		clearLog: () => {
			log.length = 0;
		},
		faults: {
			next: (n, kind, opts) => faults.next(n, kind, opts),
			latency: (ms) => faults.latency(ms),
			clear: () => faults.clear(),
			pending: () => faults.pending(),
		},
		now: () => clock.now(),
		setNow: (ms) => clock.setNow(ms),
		advance: (ms) => clock.advance(ms),
		useRealTime: () => clock.useRealTime(),
		resetQuotas: () => quotas.reset(),
		reset: () => {
			log.length = 0;
			trap.clear();
			faults.clear();
			quotas.reset();
			ctx.usedJti.clear();
			resetDelegated(ctx);
			clock.useRealTime();
			stores = new Map();
		},
		tokenSigningKeyPem: ctx.signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		revokeSignIns: (user) => revokeUser(ctx, user),
		mode,
		addApp: (app) => {
			fixture.apps[app.clientId] = app;
		},
		close: async () => {
			const closeOne = (s: http.Server | https.Server) =>
				new Promise<void>((resolve) => {
					s.close(() => resolve());
					s.closeAllConnections();
				});
			await Promise.all([closeOne(httpServer), closeOne(httpsServer), trap.close()]);
		},
	};
	handleRef.current = handle;
	return handle;
}

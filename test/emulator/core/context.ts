import * as crypto from 'node:crypto';
import type { ApiFamily } from '../types';
import type { Fixture } from './fixture';

export type LogFamily = 'entra' | ApiFamily | 'control' | 'unknown';

export interface RequestLogEntry {
	/** ISO time (emulator clock). */
	time: string;
	method: string;
	path: string;
	query: Record<string, string>;
	family: LogFamily;
	tenantId?: string;
	appId?: string;
	/** Token audience presented (API calls) or requested resource (token requests). */
	audience?: string;
	roles?: string[];
	status: number;
	/** Token requests: how the client authenticated. Never the secret or the assertion. */
	grant?: 'secret' | 'assertion' | 'none';
	/** Token requests: the scope asked for. */
	scope?: string;
	/** AADSTS code of a failed token request. */
	aadsts?: number;
	/** Injected fault that shaped this answer. */
	fault?: string;
	/**
	 * 'echo' fault: the secret-bearing values the answer copied (Authorization token, client
	 * secret, client assertion), so canary scans know exactly what must not show up anywhere.
	 */
	echoed?: string[];
	/** Quota bucket that answered 429. */
	quota?: string;
	/** The `x-emulator-client` request header: which process sent it (test clusters tag main and each worker). */
	client?: string;
}

export interface CoreResponse {
	status: number;
	body?: unknown;
	raw?: Buffer | string;
	stream?: () => NodeJS.ReadableStream;
	contentType?: string;
	headers?: Record<string, string>;
}

export class Clock {
	private frozenAt: number | undefined;
	private offset = 0;
	now(): number {
		return this.frozenAt ?? Date.now() + this.offset;
	}
	/** Freeze the clock at `ms` (it only moves with `advance` until `useRealTime`). */
	setNow(ms: number): void {
		this.frozenAt = ms;
	}
	advance(ms: number): void {
		if (this.frozenAt !== undefined) this.frozenAt += ms;
		else this.offset += ms;
	}
	useRealTime(): void {
		this.frozenAt = undefined;
		this.offset = 0;
	}
	get frozen(): boolean {
		return this.frozenAt !== undefined;
	}
}

export interface SigningKey {
	privateKey: crypto.KeyObject;
	publicKey: crypto.KeyObject;
	kid: string;
}

export function newSigningKey(): SigningKey {
	const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	const kid = crypto
		.createHash('sha256')
		.update(publicKey.export({ type: 'spki', format: 'der' }))
		.digest('base64url')
		.slice(0, 27);
	return { privateKey, publicKey, kid };
}

export interface CoreContext {
	fixture: Fixture;
	clock: Clock;
	tokenLifetimeSec: number;
	/** Allowed clock skew for client assertions (seconds). */
	assertionSkewSec: number;
	/** Reject a client assertion whose `jti` was already used (until its `exp`). */
	rejectReplayedJti: boolean;
	signing: SigningKey;
	usedJti: Map<string, number>;
	/** Origins this emulator is reachable at (http and https, 127.0.0.1 and localhost). */
	origins(): string[];
}

import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import type { DefenderContext, DefenderRequest } from '../transport';
import { CREDENTIAL_TYPE, defenderApiRequest, defenderApiRequestAllItems, wasNotSent } from '../transport';
import { passOn } from './errors';
import { and, eq, or } from './odata';
import { readNumber } from './validate';
import type { OperationRef } from './permissions';

/**
 * Response actions on MDE machines: submit (idempotently), wait for a final state, fetch the
 * investigation package link.
 *
 * Idempotency. Microsoft answers a duplicate request for an action that is still pending on a
 * machine in one of two ways (both documented/observed): HTTP 400 `ActiveRequestAlreadyExists`
 * ("Action is already in progress"), or 201 with the existing pending action. Duplicates were also
 * seen to create a second action that stays Pending and runs later (microsoft-365-docs#5903).
 * So, by default, we look for a Pending/InProgress action of the same type on the machine first
 * and return it flagged `alreadyPending: true` without sending the POST. When the POST still
 * answers 400 `ActiveRequestAlreadyExists` (race, or the pre-check was switched off), the pending
 * action is looked up and returned with the same flag. When the POST returns an action whose
 * comment is not ours, the API handed back the existing action: flagged too.
 *
 * POSTs are sent with `idempotent: false`: the transport never replays them after the request
 * may have reached Microsoft (a replay could queue a second isolation). When the POST got no
 * readable answer (timeout, reset, answer cut off, 504), the outcome is unknown: we look for the
 * action it may have created (same machine and type, from this app, created after the POST
 * started) several times over ~15 s; found → returned flagged `recoveredAfterError: true`; not
 * found → the item fails saying the action may have been carried out. It is never sent again.
 * After a 500/502/503 (Microsoft answered that it failed) one lookup decides: found → returned
 * flagged; not found → sent once more.
 */

/** One MDE API call returning the JSON body as an object. */
export async function mdeRequest(this: DefenderContext, req: Omit<DefenderRequest, 'api'>): Promise<IDataObject> {
	const body = await defenderApiRequest.call(this, { ...req, api: 'mde' });
	return (body ?? {}) as IDataObject;
}

export const FINAL_ACTION_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];
export const ACTIVE_ACTION_STATUSES = ['Pending', 'InProgress'];

/** MachineAction `type` values of the response actions the node sends. */
export type MachineActionType =
	| 'Isolate'
	| 'Unisolate'
	| 'RunAntiVirusScan'
	| 'RestrictCodeExecution'
	| 'UnrestrictCodeExecution'
	| 'CollectInvestigationPackage'
	| 'StopAndQuarantineFile'
	| 'Offboard'
	| 'LiveResponse';

export interface ResponseActionRequest {
	/** Validated 40-hex machine id. */
	machineId: string;
	/** Path segment after `/api/machines/{id}/`, e.g. `isolate`, `runAntiVirusScan`. */
	endpoint: string;
	type: MachineActionType;
	/** Body with Microsoft's case-sensitive keys (`Comment`, `IsolationType`, ...). */
	body: IDataObject;
	itemIndex: number;
	operation: OperationRef;
	/** Look for a pending action of the same type before sending (default true). */
	reusePending?: boolean;
	/** StopAndQuarantineFile: only a pending action on the same file is "the same action". */
	sha1?: string;
}

export function isFinalStatus(status: unknown): boolean {
	return typeof status === 'string' && FINAL_ACTION_STATUSES.includes(status);
}

export function isActiveStatus(status: unknown): boolean {
	return typeof status === 'string' && ACTIVE_ACTION_STATUSES.includes(status);
}

function fileOf(action: IDataObject): string | undefined {
	const info = action.relatedFileInfo as IDataObject | null | undefined;
	const id = info?.fileIdentifier;
	return typeof id === 'string' ? id.toLowerCase() : undefined;
}

function timeOf(action: IDataObject): number {
	const raw = action.creationDateTimeUtc ?? action.lastUpdateDateTimeUtc ?? action.lastUpdateTimeUtc;
	const ms = typeof raw === 'string' ? Date.parse(raw) : NaN;
	return Number.isNaN(ms) ? 0 : ms;
}

/** Newest matching action for the request among `actions` (already filtered by the API or not). */
function newestPending(actions: IDataObject[], req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'sha1'>): IDataObject | undefined {
	const sha1 = req.sha1?.toLowerCase();
	const candidates = actions.filter(
		(action) =>
			action.type === req.type &&
			String(action.machineId ?? '').toLowerCase() === req.machineId.toLowerCase() &&
			isActiveStatus(action.status) &&
			(sha1 === undefined || fileOf(action) === sha1),
	);
	candidates.sort((a, b) => timeOf(b) - timeOf(a));
	return candidates[0];
}

/**
 * The pending actions of one type in one tenant, read once per node run. A bulk run (say 500
 * isolations) then costs one list call for the pre-check instead of one per item, which halves
 * the calls charged against the 100/min quota. Actions this run submits are added to the list,
 * so two items for the same machine still send only one request. An action someone else starts
 * during the run is caught by Microsoft's 400 ActiveRequestAlreadyExists, as before.
 */
const pendingByRun = new WeakMap<IExecuteFunctions, Map<string, Promise<IDataObject[]>>>();

function runCacheKey(ctx: IExecuteFunctions, req: Pick<ResponseActionRequest, 'type' | 'itemIndex'>): string {
	const tenant = ctx.getNodeParameter('requestOptions.tenantId', req.itemIndex, '') as string;
	return `${String(tenant).trim().toLowerCase()}|${req.type}`;
}

function pendingOfRun(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'type' | 'itemIndex' | 'operation'>,
): Promise<IDataObject[]> {
	let byKey = pendingByRun.get(this);
	if (!byKey) {
		byKey = new Map();
		pendingByRun.set(this, byKey);
	}
	const key = runCacheKey(this, req);
	let list = byKey.get(key);
	if (!list) {
		list = defenderApiRequestAllItems.call(
			this,
			{
				api: 'mde',
				method: 'GET',
				path: '/api/machineactions',
				qs: { $filter: and(eq('type', req.type), or(eq('status', 'Pending'), eq('status', 'InProgress'))) },
				itemIndex: req.itemIndex,
				operation: req.operation,
			},
			{ endpoint: 'mdeMachineActions' },
		);
		// A failed read is not cached: the next item asks again.
		list.catch(() => byKey?.delete(key));
		byKey.set(key, list);
	}
	return list;
}

/** Records an action this run created, so later items of the run see it as pending. */
async function rememberSubmitted(this: IExecuteFunctions, req: ResponseActionRequest, action: IDataObject) {
	const list = pendingByRun.get(this)?.get(runCacheKey(this, req));
	if (list) (await list.catch(() => [] as IDataObject[])).push(action);
}

/** Newest Pending/InProgress action of this type on the machine, or undefined. */
export async function findPendingAction(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'itemIndex' | 'operation' | 'sha1'>,
): Promise<IDataObject | undefined> {
	const filter = and(
		eq('machineId', req.machineId),
		eq('type', req.type),
		or(eq('status', 'Pending'), eq('status', 'InProgress')),
	);
	return newestPending(await listMachineActions.call(this, req, filter, 100), req);
}

/** Machine actions matching an OData filter (List MachineActions API), up to `limit`. */
async function listMachineActions(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'itemIndex' | 'operation'>,
	filter: string | undefined,
	limit: number,
): Promise<IDataObject[]> {
	return await defenderApiRequestAllItems.call(
		this,
		{ api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $filter: filter }, itemIndex: req.itemIndex, operation: req.operation },
		{ endpoint: 'mdeMachineActions', limit },
	);
}

/** Collects the text of an error (message, description, Microsoft's body) for code matching. */
function errorText(error: unknown): string {
	if (!error || typeof error !== 'object') return String(error);
	const e = error as IDataObject & { cause?: unknown; errorResponse?: unknown };
	const parts: string[] = [];
	for (const value of [e.message, e.description, e.code]) {
		if (typeof value === 'string') parts.push(value);
	}
	for (const value of [e.cause, e.errorResponse, (e.context as IDataObject | undefined)?.data]) {
		if (value === undefined || value === null) continue;
		try {
			parts.push(typeof value === 'string' ? value : JSON.stringify(value));
		} catch {
			// circular: ignore
		}
	}
	return parts.join(' ');
}

function httpStatusOf(error: unknown): number | undefined {
	const code = (error as { httpCode?: unknown } | undefined)?.httpCode;
	const status = typeof code === 'string' ? parseInt(code, 10) : typeof code === 'number' ? code : NaN;
	return Number.isNaN(status) ? undefined : status;
}

/**
 * Whether a failed POST may still have been carried out: a 5xx, a network failure (no HTTP
 * status), or a 2xx whose body could not be read. A 4xx (including an exhausted 429) means
 * Microsoft refused it.
 */
export function isUncertainOutcome(error: unknown): boolean {
	const status = httpStatusOf(error);
	return status === undefined || status >= 500 || (status >= 200 && status < 300);
}

/** 400 `ActiveRequestAlreadyExists` / "Action is already in progress". */
export function isActionAlreadyPendingError(error: unknown): boolean {
	const status = httpStatusOf(error);
	if (status !== undefined && status !== 400) return false;
	const text = errorText(error);
	return /ActiveRequestAlreadyExists|already in progress/i.test(text);
}

export const PENDING_CHECK_SKIPPED =
	'The check for an action already pending on this machine was skipped: the app lacks Machine.Read.All (needed to list machine actions). Microsoft still refuses a duplicate while one is in progress. Grant Machine.Read.All on WindowsDefenderATP to have the pending action returned instead.';
const PENDING_LOOKUP_FORBIDDEN =
	'The node cannot look the pending action up: the app lacks Machine.Read.All (List MachineActions API). Grant Machine.Read.All on WindowsDefenderATP, or wait until the action has finished.';
const FORBIDDEN = Symbol('forbidden');
/** Runs whose pending check was refused once: later items skip it instead of asking again. */
const pendingCheckForbidden = new WeakSet<IExecuteFunctions>();

/** findPendingAction, with a 403 (no Machine.Read.All) told apart from "none pending". */
async function findPendingOrForbidden(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'itemIndex' | 'operation' | 'sha1'>,
): Promise<IDataObject | undefined | typeof FORBIDDEN> {
	try {
		return await findPendingAction.call(this, req);
	} catch (error) {
		if (httpStatusOf(error) === 403) return FORBIDDEN;
		throw passOn(this.getNode(), error, req.itemIndex);
	}
}

/** How long an action whose outcome is unknown is looked for (tests shorten the interval). */
export const responseActionTuning = {
	/** Lookups for an action whose POST got no readable answer (timeout, reset, cut or unreadable body). */
	verifyLookups: 4,
	/** Wait before each lookup after the first: Microsoft may list a new action a few seconds late. */
	verifyIntervalMs: 5000,
	/** Allowance for the difference between our clock and Microsoft's when comparing creation times. */
	clockSkewMs: 60000,
};

/**
 * Response actions on one (tenant, machine, action type) run one at a time within this process,
 * so two executions isolating the same machine at once cannot both send the POST: the second
 * waits, then its pending check finds the first one's action. Across processes (queue-mode
 * workers) the pending check and Microsoft's ActiveRequestAlreadyExists answer remain the guard.
 */
const actionQueues = new Map<string, Promise<void>>();

async function oneAtATime<T>(key: string, task: (waited: boolean) => Promise<T>): Promise<T> {
	const previous = actionQueues.get(key);
	let release!: () => void;
	const mine = new Promise<void>((resolve) => (release = resolve));
	const tail = (previous ?? Promise.resolve()).then(() => mine);
	actionQueues.set(key, tail);
	try {
		if (previous) await previous;
		return await task(previous !== undefined);
	} finally {
		release();
		if (actionQueues.get(key) === tail) actionQueues.delete(key);
	}
}

/** The app credential's tenant and client ID; empty when the node signs in with the delegated credential. */
async function appCredentials(this: IExecuteFunctions, itemIndex: number): Promise<{ tenantId?: unknown; clientId?: unknown }> {
	try {
		return ((await this.getCredentials(CREDENTIAL_TYPE, itemIndex)) ?? {}) as { tenantId?: unknown; clientId?: unknown };
	} catch {
		return {};
	}
}

async function actionQueueKey(this: IExecuteFunctions, req: ResponseActionRequest): Promise<string> {
	const override = this.getNodeParameter('requestOptions.tenantId', req.itemIndex, '') as unknown;
	let tenant = typeof override === 'string' ? override.trim() : '';
	if (!tenant) tenant = String((await appCredentials.call(this, req.itemIndex)).tenantId ?? '').trim();
	return `${tenant.toLowerCase()}|${req.machineId.toLowerCase()}|${req.type}|${req.sha1?.toLowerCase() ?? ''}`;
}

/** What went wrong with the POST, for messages: "the connection was reset", "the answer could not be read". */
function failureText(error: unknown): string {
	const e = error as { message?: unknown; httpCode?: unknown } | undefined;
	const status = httpStatusOf(error);
	if (status !== undefined && status >= 200 && status < 300) return 'Microsoft accepted the request but its answer could not be read';
	if (status !== undefined) return `Microsoft answered ${status}`;
	const message = typeof e?.message === 'string' ? e.message : '';
	const reason = /\(([^;()]*); ([^()]*)\)/.exec(message)?.[2];
	return reason ? `the request failed (${reason})` : 'the request failed without an answer';
}

/**
 * Whether nothing can be known about the POST: no answer at all (timeout, reset, answer cut off),
 * an unreadable 2xx, or 504 (a gateway gave up waiting for the service).
 */
export function isUnknownOutcome(error: unknown): boolean {
	const status = httpStatusOf(error);
	return status === undefined || status === 504 || (status >= 200 && status < 300);
}

interface Verification {
	action?: IDataObject;
	lookups: number;
	failedLookups: number;
	lastLookupError?: string;
	/** The app may not list machine actions (no Machine.Read.All): nothing could be checked. */
	forbidden?: boolean;
}

/**
 * Looks for the action a POST may have created: same machine and type (and file), created at or
 * after the POST started (less the clock allowance), requested by this app (`requestor` is the
 * app ID for app tokens) or carrying our comment. Any status counts: a quick action may already
 * be final. Several lookups, spaced out, as a new action may be listed late.
 */
async function verifySubmitted(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
	startedMs: number,
	lookups: number,
): Promise<Verification> {
	// App tokens: `requestor` is the app ID. Delegated sign-in: the user, so only the comment matches.
	const clientId = String((await appCredentials.call(this, req.itemIndex)).clientId ?? '').trim().toLowerCase();
	const since = new Date(startedMs - responseActionTuning.clockSkewMs).toISOString();
	const filter = and(eq('machineId', req.machineId), eq('type', req.type), `creationDateTimeUtc ge ${since}`);
	const comment = typeof req.body.Comment === 'string' ? req.body.Comment : undefined;
	const sha1 = req.sha1?.toLowerCase();
	const result: Verification = { lookups: 0, failedLookups: 0 };
	for (let n = 0; n < lookups; n++) {
		if (n > 0) await sleep(responseActionTuning.verifyIntervalMs);
		result.lookups++;
		let actions: IDataObject[];
		try {
			actions = await listMachineActions.call(this, req, filter, 1000);
		} catch (error) {
			result.failedLookups++;
			result.lastLookupError = String((error as Error)?.message ?? error);
			if (httpStatusOf(error) === 403) {
				result.forbidden = true;
				return result;
			}
			continue;
		}
		const ours = actions.filter(
			(a) =>
				a.type === req.type &&
				String(a.machineId ?? '').toLowerCase() === req.machineId.toLowerCase() &&
				timeOf(a) >= startedMs - responseActionTuning.clockSkewMs &&
				(sha1 === undefined || fileOf(a) === sha1) &&
				((clientId !== '' && String(a.requestor ?? '').toLowerCase() === clientId) ||
					(comment !== undefined && a.requestorComment === comment)),
		);
		ours.sort((a, b) => timeOf(b) - timeOf(a));
		if (ours[0]) {
			result.action = ours[0];
			return result;
		}
	}
	return result;
}

/** The error for an action whose outcome stayed unknown: it may have been carried out. */
function mayHaveHappenedError(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
	error: unknown,
	check: Verification,
): NodeApiError {
	const what = `${req.type} on machine ${req.machineId}`;
	const lookedFor = check.forbidden
		? PENDING_LOOKUP_FORBIDDEN
		: check.failedLookups === check.lookups
			? `The ${check.lookups} lookups for it failed as well (${check.lastLookupError ?? 'no answer'}).`
			: `${check.lookups} lookups found no ${req.type} action on the machine from this app since the request was sent${
					check.failedLookups ? ` (${check.failedLookups} of them failed: ${check.lastLookupError ?? ''})` : ''
				}.`;
	const message = `${what}: ${failureText(error)}, so the action may have been carried out; it was not sent again`;
	const description = `${lookedFor} Before running this item again, check Machine Action → Get Many (Machine ID ${req.machineId}, Type ${req.type}) or the Action center of the Defender portal.`;
	const status = httpStatusOf(error);
	return new NodeApiError(
		this.getNode(),
		{ message, description, ...(status !== undefined && { httpCode: String(status) }) } as JsonObject,
		{ message, description, itemIndex: req.itemIndex, ...(status !== undefined && { httpCode: String(status) }) },
	);
}

/**
 * Sends a response action and returns the MachineAction. Returns an existing pending action of
 * the same type flagged `alreadyPending: true` instead of creating a duplicate or failing.
 * An action whose POST got no readable answer is never sent again: it is looked for
 * (`recoveredAfterError: true` when found), else the item fails saying it may have happened.
 */
export async function submitMachineAction(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
): Promise<IDataObject> {
	const key = await actionQueueKey.call(this, req);
	return await oneAtATime(key, async (waited) => await submitNow.call(this, req, waited));
}

async function submitNow(this: IExecuteFunctions, req: ResponseActionRequest, waitedForAnother: boolean): Promise<IDataObject> {
	let pendingCheckSkipped = req.reusePending !== false && pendingCheckForbidden.has(this) ? PENDING_CHECK_SKIPPED : undefined;
	if (req.reusePending !== false && !pendingCheckSkipped) {
		// One item: ask about this machine only. Several: one list of the run's tenant and type,
		// unless another execution just worked on this machine (the run's list predates it).
		try {
			const existing =
				this.getInputData().length > 1 && !waitedForAnother
					? newestPending(await pendingOfRun.call(this, req), req)
					: await findPendingAction.call(this, req);
			if (existing) return { ...existing, alreadyPending: true };
		} catch (error) {
			// Listing machine actions needs Machine.Read.All (List MachineActions API), which an app
			// holding only the action's permission lacks. Go on without the check: Microsoft still
			// refuses a duplicate with "Action is already in progress".
			if (httpStatusOf(error) !== 403) throw passOn(this.getNode(), error, req.itemIndex);
			pendingCheckSkipped = PENDING_CHECK_SKIPPED;
			pendingCheckForbidden.add(this);
		}
	}
	const flagged = (a: IDataObject): IDataObject => (pendingCheckSkipped ? { ...a, pendingCheckSkipped } : a);

	let action: IDataObject | undefined;
	const startedMs = Date.now();
	for (let attempt = 0; action === undefined; attempt++) {
		try {
			action = await mdeRequest.call(this, {
				method: 'POST',
				path: `/api/machines/${encodeURIComponent(req.machineId)}/${req.endpoint}`,
				body: req.body,
				idempotent: false,
				itemIndex: req.itemIndex,
				operation: req.operation,
			});
		} catch (error) {
			if (error instanceof NodeOperationError) throw new NodeOperationError(this.getNode(), error);
			if (isActionAlreadyPendingError(error)) {
				const existing = await findPendingOrForbidden.call(this, req);
				if (existing === FORBIDDEN) {
					const hint = `Microsoft says an action of this kind is already in progress on this machine. ${PENDING_LOOKUP_FORBIDDEN}`;
					if (error instanceof NodeApiError) error.description = hint;
					throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description: hint });
				}
				if (existing) return { ...existing, alreadyPending: true };
				// Busy with something we cannot see (e.g. a live response session), or the other
				// action just finished: report Microsoft's answer with a hint.
				const hint =
					'Microsoft says an action is already in progress on this machine, but no pending action of the same type was found. Another response action or a live response session may be running; retry when it has finished.';
				if (error instanceof NodeApiError) error.description = hint;
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description: hint });
			}
			if (!isUncertainOutcome(error) || wasNotSent(error)) {
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex });
			}
			if (isUnknownOutcome(error)) {
				// No readable answer: the action may exist, possibly listed only after a while.
				// Look long enough to be sure; never send it again.
				const check = await verifySubmitted.call(this, req, startedMs, responseActionTuning.verifyLookups);
				if (check.action) return { ...check.action, recoveredAfterError: true };
				throw mayHaveHappenedError.call(this, req, error, check);
			}
			// 500/502/503: Microsoft answered that it failed. Look once before anything is sent
			// again, so a retry can never queue a second action.
			const check = await verifySubmitted.call(this, req, startedMs, 1);
			if (check.action) return { ...check.action, recoveredAfterError: true };
			if (check.failedLookups > 0) throw mayHaveHappenedError.call(this, req, error, check);
			if (attempt >= 1) {
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex });
			}
			// No such action on the machine: sending it once more cannot create a duplicate.
		}
	}

	if (typeof action.id !== 'string' || action.id === '') {
		// A 2xx without a readable MachineAction (e.g. the connection dropped mid-answer).
		const check = await verifySubmitted.call(this, req, startedMs, responseActionTuning.verifyLookups);
		if (check.action) return { ...check.action, recoveredAfterError: true };
		throw mayHaveHappenedError.call(this, req, { httpCode: '200' }, check);
	}

	const comment = req.body.Comment;
	if (
		isActiveStatus(action.status) &&
		typeof comment === 'string' &&
		typeof action.requestorComment === 'string' &&
		action.requestorComment !== comment
	) {
		// The API returned the action that was already pending instead of creating ours.
		return flagged({ ...action, alreadyPending: true });
	}
	await rememberSubmitted.call(this, req, action);
	return flagged(action);
}

export interface WaitOptions {
	pollIntervalSeconds: number;
	timeoutSeconds: number;
	itemIndex: number;
	operation: OperationRef;
}

/**
 * Wait for Completion and its interval/timeout, checked before the first request: NaN, text or
 * a missing interval would otherwise poll as fast as the pacer allows, and a text timeout would
 * never end. undefined = do not wait.
 */
export function readWaitOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: OperationRef,
): WaitOptions | undefined {
	const wait = ctx.getNodeParameter('waitForCompletion', itemIndex, false) as unknown;
	if (wait !== true && wait !== 'true') return undefined;
	const node = ctx.getNode();
	return {
		pollIntervalSeconds: readNumber(node, ctx.getNodeParameter('pollInterval', itemIndex, 15), {
			parameter: 'Poll Interval (Seconds)',
			itemIndex,
			min: 1,
			max: 3600,
			unit: 'seconds',
		}),
		timeoutSeconds: readNumber(node, ctx.getNodeParameter('waitTimeout', itemIndex, 600), {
			parameter: 'Timeout (Seconds)',
			itemIndex,
			min: 1,
			max: 86400,
			unit: 'seconds',
		}),
		itemIndex,
		operation,
	};
}

export async function getMachineAction(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: OperationRef,
): Promise<IDataObject> {
	return await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}`,
		itemIndex,
		operation,
	});
}

/**
 * Polls the action until it reaches a final status (Succeeded, Failed, TimeOut, Cancelled).
 * Returns the final MachineAction. When the timeout passes first, returns the last state seen
 * with `waitTimedOut: true` — not an error: the action keeps running at Microsoft, and the
 * workflow can branch on the flag (or poll again later with Machine Action → Get).
 * Flags already on `action` (e.g. `alreadyPending`) are kept.
 */
export async function waitForMachineAction(
	this: IExecuteFunctions,
	action: IDataObject,
	options: WaitOptions,
): Promise<IDataObject> {
	const flags: IDataObject = {};
	if (action.alreadyPending !== undefined) flags.alreadyPending = action.alreadyPending;
	const actionId = action.id;
	if (typeof actionId !== 'string' || actionId === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned a machine action without an ID', {
			itemIndex: options.itemIndex,
			description: 'Cannot wait for completion; check the action in the Microsoft Defender portal.',
		});
	}
	// Callers pass values checked by readWaitOptions; the guards keep a bad value from spinning.
	const intervalMs = (Number.isFinite(options.pollIntervalSeconds) ? Math.max(1, options.pollIntervalSeconds) : 15) * 1000;
	const deadline = Date.now() + (Number.isFinite(options.timeoutSeconds) ? Math.max(0, options.timeoutSeconds) : 600) * 1000;

	let current = action;
	while (!isFinalStatus(current.status)) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) return { ...current, ...flags, waitTimedOut: true };
		await sleep(Math.min(intervalMs, remaining));
		current = await getMachineAction.call(this, actionId, options.itemIndex, options.operation);
	}
	return { ...current, ...flags };
}

/** `"https://…"` → `https://…` (one example wraps the link in literal quotes). */
export function stripQuotes(value: string): string {
	let text = value.trim();
	while (text.length >= 2 && ((text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'")))) {
		text = text.slice(1, -1).trim();
	}
	return text;
}

/** The short-lived SAS link of a finished investigation package collection. */
export async function getInvestigationPackageUri(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: OperationRef,
): Promise<string> {
	const response = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}/getPackageUri`,
		itemIndex,
		operation,
	});
	const value = typeof response === 'string' ? response : (response as IDataObject).value;
	if (typeof value !== 'string' || stripQuotes(value) === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned no download link for the investigation package', {
			itemIndex,
			description: 'The package may not be ready yet. Try Machine Action → Get later, or download it from the portal.',
		});
	}
	return stripQuotes(value);
}

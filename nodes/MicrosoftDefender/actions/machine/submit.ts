import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { passOn } from '../../helpers/errors';
import { and, eq, or } from '../../helpers/odata';
import { failureText, httpStatusOf, isActionAlreadyPendingError, isUncertainOutcome, isUnknownOutcome, responseActionTuning } from '../../helpers/outcome';
import type { MachineActionType } from '../../helpers/responseActions';
import { CREDENTIAL_TYPES } from '../../helpers/credentialTypes';
import { defenderApiRequestAllItems, wasNotSent } from '../../transport';
import { mdeRequest } from '../../transport/mde';
import type { OperationRef } from '../../helpers/permissions';
import { isActiveStatus } from './machineAction';

/**
 * Submitting a response action on an MDE machine, idempotently (waiting is in machineAction.ts).
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
		return ((await this.getCredentials(CREDENTIAL_TYPES.entraApp, itemIndex)) ?? {}) as { tenantId?: unknown; clientId?: unknown };
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

/**
 * The pending-action check: the action of the same type already pending on the machine, or, when
 * the app may not list machine actions, the note that the check was skipped.
 */
async function checkPending(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
	waitedForAnother: boolean,
): Promise<{ existing?: IDataObject; skipped?: string }> {
	if (req.reusePending === false) return {};
	if (pendingCheckForbidden.has(this)) return { skipped: PENDING_CHECK_SKIPPED };
	// One item: ask about this machine only. Several: one list of the run's tenant and type,
	// unless another execution just worked on this machine (the run's list predates it).
	try {
		const existing =
			this.getInputData().length > 1 && !waitedForAnother
				? newestPending(await pendingOfRun.call(this, req), req)
				: await findPendingAction.call(this, req);
		return { existing };
	} catch (error) {
		// Listing machine actions needs Machine.Read.All (List MachineActions API), which an app
		// holding only the action's permission lacks. Go on without the check: Microsoft still
		// refuses a duplicate with "Action is already in progress".
		if (httpStatusOf(error) !== 403) throw passOn(this.getNode(), error, req.itemIndex);
		pendingCheckForbidden.add(this);
		return { skipped: PENDING_CHECK_SKIPPED };
	}
}

/** Microsoft refused a duplicate (400 ActiveRequestAlreadyExists): the pending action, or the refusal with a hint. */
async function pendingAfterRefusal(this: IExecuteFunctions, req: ResponseActionRequest, error: unknown): Promise<IDataObject> {
	const existing = await findPendingOrForbidden.call(this, req);
	if (existing !== FORBIDDEN && existing) return { ...existing, alreadyPending: true };
	const hint =
		existing === FORBIDDEN
			? `Microsoft says an action of this kind is already in progress on this machine. ${PENDING_LOOKUP_FORBIDDEN}`
			: // Busy with something we cannot see (e.g. a live response session), or the other
				// action just finished: report Microsoft's answer with a hint.
				'Microsoft says an action is already in progress on this machine, but no pending action of the same type was found. Another response action or a live response session may be running; retry when it has finished.';
	if (error instanceof NodeApiError) error.description = hint;
	throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description: hint });
}

/**
 * After a failed POST: the action it created after all (flagged `recoveredAfterError`), or
 * undefined when sending it once more cannot create a duplicate; otherwise throws.
 */
async function afterFailedPost(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
	error: unknown,
	startedMs: number,
	attempt: number,
): Promise<IDataObject | undefined> {
	if (error instanceof NodeOperationError) throw new NodeOperationError(this.getNode(), error);
	if (isActionAlreadyPendingError(error)) return await pendingAfterRefusal.call(this, req, error);
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
	return undefined;
}

async function submitNow(this: IExecuteFunctions, req: ResponseActionRequest, waitedForAnother: boolean): Promise<IDataObject> {
	const pending = await checkPending.call(this, req, waitedForAnother);
	if (pending.existing) return { ...pending.existing, alreadyPending: true };
	const pendingCheckSkipped = pending.skipped;
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
			const recovered = await afterFailedPost.call(this, req, error, startedMs, attempt);
			if (recovered) return recovered;
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

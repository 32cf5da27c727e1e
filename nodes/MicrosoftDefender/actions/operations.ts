import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { ApiFamily } from '../helpers/hosts';
import type { EndpointKey, OperationPermission, OptionalCall } from '../helpers/permissions';
import type { ResponseActionOperation, ResponseActionSpec } from '../helpers/responseActions';
import { RESPONSE_ACTIONS } from '../helpers/responseActions';

/**
 * The operation table: every operation of the action node, once. Dispatch (router.ts), the
 * AI-agent gate and its editor switch, the permission rows (403 hints, Check Permissions, the
 * README tables, the least-privilege matrix) are derived from it.
 * The compiler ties it to the node's description one way (each resource's Operation options
 * satisfy OperationParameter: a value that is not a row does not compile);
 * test/unit/operations.table.test.ts ties both ways (every option has a row and every row an
 * option) and to the requests each operation really sends (a write is destructive; every call
 * is listed).
 *
 * The modules (description + execute) are joined in router.ts, typed by this table so a row
 * without a module does not compile. They are not in here because the modules reference their
 * own row (`OPERATIONS.alert.get`) when they call the API: holding them here would be a cycle.
 */

interface Row {
	/**
	 * Writes to the tenant or acts on a device. As an AI-agent tool such an operation runs only
	 * when the user switched on "Allow for AI Agents", so a model cannot isolate or offboard a
	 * machine on its own initiative.
	 */
	destructive: boolean;
	/** One entry per API that can serve the operation (Graph first where there is a choice). */
	apis: Array<Omit<OperationPermission, 'resource' | 'operation'>>;
}

const graph = (displayName: string, calls: EndpointKey[], optional?: OptionalCall[]) => ({ api: 'graph' as const, displayName, calls, ...(optional && { optional }) });
const mde = (displayName: string, calls: EndpointKey[], optional?: OptionalCall[]) => ({ api: 'mde' as const, displayName, calls, ...(optional && { optional }) });

const LOOKUP: OptionalCall = { call: 'GET /api/machines/:id', enables: 'picking the machine by name or IP address' };
const PENDING: OptionalCall = {
	call: 'GET /api/machineactions',
	enables: 'the pending-action check (skipped without it, and the output says so)',
};
const WAIT: OptionalCall = { call: 'GET /api/machineactions/:id', enables: 'Wait for Completion' };

/**
 * The response actions' rows, read from their specs (helpers/responseActions.ts, one source): one
 * POST, with the pending check, the wait and the machine lookup as options.
 */
function responseActionRows(): Record<ResponseActionOperation, Row> {
	const rows = {} as Record<ResponseActionOperation, Row>;
	for (const [operation, spec] of Object.entries(RESPONSE_ACTIONS) as Array<[ResponseActionOperation, ResponseActionSpec]>) {
		rows[operation] = {
			destructive: true,
			apis: [mde(spec.displayName, [spec.call], [PENDING, WAIT, LOOKUP, ...(spec.optional ?? [])])],
		};
	}
	return rows;
}

/** A live response session: start it, wait for it (on by default), fetch each result's link. */
const session = (displayName: string, results: boolean): Row => ({
	// Runs code and moves files on the device.
	destructive: true,
	apis: [
		mde(
			displayName,
			[
				'POST /api/machines/:id/runliveresponse',
				'GET /api/machineactions/:id',
				...(results ? (['GET /api/machineactions/:id/GetLiveResponseResultDownloadLink(index=:index)'] as const) : []),
			],
			[LOOKUP, { call: 'GET /api/machineactions', enables: 'naming the session already running on the machine in that error' }],
		),
	],
});

const read = (...apis: Row['apis']): Row => ({ destructive: false, apis });
const write = (...apis: Row['apis']): Row => ({ destructive: true, apis });

const TABLE = {
	alert: {
		getAll: read(
			graph('Alert: Get Many', ['GET /v1.0/security/alerts_v2'], [
				{ call: 'GET /v1.0/security/incidents/:id', enables: 'the Incident ID filter' },
				{ call: 'GET /v1.0/security/incidents', enables: 'the Incident ID filter' },
			]),
			mde('Alert: Get Many (MDE API)', ['GET /api/alerts']),
		),
		get: read(graph('Alert: Get', ['GET /v1.0/security/alerts_v2/:id']), mde('Alert: Get (MDE API)', ['GET /api/alerts/:id'])),
		update: write(
			graph('Alert: Update', ['PATCH /v1.0/security/alerts_v2/:id']),
			mde('Alert: Update (MDE API)', ['PATCH /api/alerts/:id']),
		),
		addComment: write(
			graph('Alert: Add Comment', ['POST /v1.0/security/alerts_v2/:id/comments']),
			mde('Alert: Add Comment (MDE API)', ['PATCH /api/alerts/:id']),
		),
	},
	incident: {
		getAll: read(graph('Incident: Get Many', ['GET /v1.0/security/incidents'])),
		// With alerts (default): List incidents too when Get incident ignores or refuses $expand.
		get: read(graph('Incident: Get', ['GET /v1.0/security/incidents/:id', 'GET /v1.0/security/incidents'])),
		update: write(graph('Incident: Update', ['PATCH /v1.0/security/incidents/:id'])),
		addComment: write(graph('Incident: Add Comment', ['POST /v1.0/security/incidents/:id/comments'])),
	},
	advancedHunting: {
		runQuery: read(
			graph('Advanced Hunting: Run Query', ['POST /v1.0/security/runHuntingQuery']),
			mde('Advanced Hunting: Run Query (MDE API)', ['POST /api/advancedqueries/run']),
		),
	},
	machine: {
		getAll: read(mde('Machine: Get Many', ['GET /api/machines'])),
		get: read(mde('Machine: Get', ['GET /api/machines/:id'])),
		getLoggedOnUsers: read(mde('Machine: Get Logged-On Users', ['GET /api/machines/:id/logonusers'], [LOOKUP])),
		addTag: write(mde('Machine: Add Tag', ['POST /api/machines/:id/tags'], [LOOKUP])),
		removeTag: write(mde('Machine: Remove Tag', ['POST /api/machines/:id/tags'], [LOOKUP])),
		...responseActionRows(),
	},
	machineAction: {
		get: read(mde('Machine Action: Get', ['GET /api/machineactions/:id'])),
		getAll: read(mde('Machine Action: Get Many', ['GET /api/machineactions'])),
		cancel: write(mde('Machine Action: Cancel', ['POST /api/machineactions/:id/cancel'])),
	},
	liveResponse: {
		runScript: session('Live Response: Run Script', true),
		getFile: session('Live Response: Get File', true),
		putFile: session('Live Response: Put File', false),
		runCommands: session('Live Response: Run Commands', true),
		listLibraryFiles: read(mde('Live Response: List Library Files', ['GET /api/libraryfiles'])),
		// The library holds what Run Script runs.
		uploadLibraryFile: write(mde('Live Response: Upload Library File', ['POST /api/libraryfiles'])),
		deleteLibraryFile: write(mde('Live Response: Delete Library File', ['DELETE /api/libraryfiles/:fileName'])),
	},
	indicator: {
		getAll: read(mde('Indicator: Get Many', ['GET /api/indicators'])),
		createOrUpdate: write(mde('Indicator: Create or Update', ['POST /api/indicators'])),
		delete: write(mde('Indicator: Delete', ['DELETE /api/indicators/:id'])),
	},
	vulnerability: {
		getAll: read(mde('Vulnerability: Get Many', ['GET /api/vulnerabilities'])),
		getAllForMachine: read(mde('Vulnerability: Get Many for Machine', ['GET /api/machines/:id/vulnerabilities'], [LOOKUP])),
	},
	software: {
		get: read(mde('Software: Get', ['GET /api/software/:id'])),
		getMachines: read(mde('Software: Get Machines', ['GET /api/software/:id/machineReferences'])),
	},
	// Reads tokens only; it has no permission row of its own.
	connection: { checkPermissions: read() },
} satisfies Record<string, Record<string, Row>>;

type Table = typeof TABLE;
export type Resource = keyof Table;
/** The operations of one resource (all operations when no resource is given). */
export type Operation<R extends Resource = Resource> = R extends Resource ? keyof Table[R] & string : never;

/** One row of the table, with its own resource and operation (what requests carry). */
export interface OperationRow<R extends Resource = Resource, O extends Operation<R> = Operation<R>> {
	resource: R;
	operation: O;
	destructive: boolean;
	/** Permission rows, one per API: the calls with default options and the optional ones. */
	permissions: OperationPermission[];
}

type Operations = { [R in Resource]: { [O in Operation<R>]: OperationRow<R, O> } };

function buildRows(): Operations {
	const out: Record<string, Record<string, OperationRow>> = {};
	for (const [resource, operations] of Object.entries(TABLE)) {
		out[resource] = {};
		for (const [operation, row] of Object.entries(operations as Record<string, Row>)) {
			out[resource][operation] = {
				resource: resource as Resource,
				operation: operation as Operation,
				destructive: row.destructive,
				permissions: row.apis.map((a) => ({ resource, operation, ...a })),
			};
		}
	}
	// The loop above walks TABLE itself, so every key of Operations is filled.
	return out as Operations;
}

/** The table by resource and operation: `OPERATIONS.machine.isolate`. */
export const OPERATIONS: Operations = buildRows();

/** Every row, in the table's order. */
export const OPERATION_LIST: OperationRow[] = Object.values(OPERATIONS).flatMap((ops) => Object.values<OperationRow>(ops));

const BY_KEY = new Map(OPERATION_LIST.map((r) => [`${r.resource}:${r.operation}`, r]));

/** The row of a Resource/Operation pair as n8n hands them over (plain strings), if it exists. */
export function findOperation(resource: string, operation: string): OperationRow | undefined {
	return BY_KEY.get(`${resource}:${operation}`);
}

/**
 * Permission rows of every operation and API: the README table's rows. Within a resource, grouped
 * by API (Graph first), so the README reads the Graph operations, then their MDE variants.
 */
export const OPERATION_PERMISSIONS: OperationPermission[] = Object.values(OPERATIONS).flatMap((ops) => {
	const rows = Object.values<OperationRow>(ops).flatMap((r) => r.permissions);
	const apis = [...new Set<ApiFamily>(rows.map((p) => p.api))];
	return apis.flatMap((api) => rows.filter((p) => p.api === api));
});

/** Destructive operations by resource (the AI-agent gate and the editor's opt-in switch). */
export const DESTRUCTIVE_OPERATIONS: Record<string, Operation[]> = {};
for (const r of OPERATION_LIST) if (r.destructive) (DESTRUCTIVE_OPERATIONS[r.resource] ??= []).push(r.operation);

export function isDestructive(resource: string, operation: string): boolean {
	return findOperation(resource, operation)?.destructive === true;
}

/**
 * A resource's Operation parameter: every option value and the default must be rows of this table
 * (compile-checked with `satisfies`; the test checks the other direction).
 */
export type OperationParameter<R extends Resource> = INodeProperties & {
	options: Array<INodePropertyOptions & { value: Operation<R> }>;
	default: Operation<R>;
};

/**
 * Every MDE, XDR and Graph route the emulator serves (the core matches, authenticates and calls
 * them). Permissions and quota buckets come from the contract table (../contract.ts), never from
 * the route modules; strict mode enforces the row's query options and enum values before the
 * handler runs.
 */
import { ApiError, type ApiRequest, type RouteDef, type RouteImpl as Impl } from '../types';
import type { DefenderStore } from '../data/store';
import { CONTRACT, contractRow, type EndpointContract } from '../contract';
import { alertRoutes } from './alerts';
import { huntingRoutes } from './hunting';
import { indicatorRoutes } from './indicators';
import { tvmRoutes } from './tvm';
import { incidentRoutes } from './incidents';
import { liveResponseRoutes } from './liveResponse';
import { machineRoutes } from './machines';

type RouteImpl = Impl<DefenderStore>;

function badRequest(row: EndpointContract, message: string): ApiError {
	return new ApiError(400, row.api === 'mde' ? 'ODataError' : 'BadRequest', message);
}

/**
 * Strict mode: OData options (`$top`, `$skip`, `$expand`, ...) on an endpoint whose page documents
 * none are ignored (the same answer as without them) or refused, as the seeded variant says; enum body values must be
 * the documented ones (for the MDE determination, the seeded page's spelling).
 */
export function enforceContract(row: EndpointContract, req: ApiRequest): ApiRequest {
	const mode = req.mode;
	if (!mode?.strict) return req;
	let out = req;
	if (row.query.length === 0) {
		const undocumented = Object.keys(req.query).filter((k) => k.startsWith('$'));
		if (undocumented.length) {
			if (mode.variants.undocumentedPaging === 'refuse') {
				throw badRequest(row, `The query specified in the URI is not valid. Query option '${undocumented[0]}' is not supported by ${row.method} ${row.path} (${row.page}).`);
			}
			const query = { ...req.query };
			for (const k of undocumented) delete query[k];
			out = { ...req, query };
		}
	}
	if (row.body && req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
		for (const [field, rule] of Object.entries(row.body)) {
			const key = Object.keys(req.body as object).find((k) => k.toLowerCase() === field.toLowerCase());
			if (key === undefined) continue;
			const value = (req.body as Record<string, unknown>)[key];
			if (value === null || value === undefined) continue;
			const allowed = rule.variants ? rule.variants[mode.variants.determinationSpelling] : rule.values;
			if (!allowed.includes(String(value))) {
				throw new ApiError(
					400,
					row.api === 'graph' ? 'BadRequest' : 'InvalidInput',
					row.api === 'graph'
						? `The request is invalid: Requested value '${String(value)}' was not found in enum for '${field}'.`
						: `Invalid value '${String(value)}' for ${field}. Allowed: ${allowed.join(', ')}.`,
				);
			}
		}
	}
	return out;
}

function withContract(route: RouteImpl): RouteDef<DefenderStore> {
	const row = contractRow(route.method, route.path);
	if (!row) throw new Error(`No contract row for ${route.method} ${route.path}: add it to test/emulator/contract.ts`);
	if (row.api !== route.api) throw new Error(`Contract row ${route.method} ${route.path} says ${row.api}, the route ${route.api}`);
	const handler = route.handler;
	return {
		...route,
		roles: row.roles,
		quota: row.limit?.bucket ?? 'mde',
		...(row.public ? { public: true as const } : {}),
		handler: (req, store) => handler(enforceContract(row, req), store),
	};
}

const impls: RouteImpl[] = [...alertRoutes, ...machineRoutes, ...liveResponseRoutes, ...incidentRoutes, ...huntingRoutes, ...indicatorRoutes, ...tvmRoutes];

export const routes: RouteDef<DefenderStore>[] = impls.map(withContract);

// Every row is served (a row without a route would document something the emulator cannot do).
for (const row of CONTRACT) {
	if (!impls.some((r) => r.method === row.method && r.path.toLowerCase() === row.path.toLowerCase())) {
		throw new Error(`Contract row ${row.method} ${row.path} has no route`);
	}
}

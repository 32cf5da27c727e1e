/* eslint-disable @n8n/community-nodes/require-node-api-error */
/** Advanced hunting: MDE `advancedqueries/run`, XDR `advancedhunting/run`, Graph `runHuntingQuery`. */
import { ApiError, type ApiFamily, type ApiRequest, type RouteImpl } from '../types';
import { huntingTable } from '../data/hunting';
import type { DefenderStore } from '../data/store';
import { KqlError, parseTimespan, runKql } from '../kql';
import { ctxUrl, ok } from './common';

function getQuery(req: ApiRequest, family: ApiFamily): { query: string; timespan?: string } {
	const b = req.body;
	const code = family === 'graph' ? 'BadRequest' : 'InvalidRequestBody';
	if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, code, 'Request body is missing or is not a JSON object.');
	const body = b as Record<string, unknown>;
	let q = body.Query;
	if (q === undefined) {
		const wrong = Object.keys(body).find((k) => k.toLowerCase() === 'query');
		// MDE/XDR body keys are case-sensitive; Graph's JSON binding is case-insensitive.
		if (wrong && family === 'graph') q = body[wrong];
		else if (wrong) throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown parameter '${wrong}' (parameter names are case-sensitive; expected 'Query').`);
		else throw new ApiError(400, family === 'graph' ? 'BadRequest' : 'MissingRequiredParameter', "Missing required parameter 'Query'.");
	}
	if (typeof q !== 'string' || q.trim() === '') throw new ApiError(400, family === 'graph' ? 'BadRequest' : 'InvalidRequestBody', 'Query is empty.');
	const ts = body.Timespan ?? body.timespan;
	return { query: q, timespan: typeof ts === 'string' ? ts : undefined };
}

function execute(req: ApiRequest, store: DefenderStore, family: ApiFamily) {
	const { query, timespan } = getQuery(req, family);
	const now = store.now();
	const t0 = Date.now();
	let timeFilter: ((r: Record<string, unknown>) => boolean) | undefined;
	try {
		if (timespan !== undefined && family === 'graph') {
			const [from, to] = parseTimespan(timespan, now);
			timeFilter = (r) => typeof r.Timestamp !== 'string' || (r.Timestamp >= from && r.Timestamp <= to);
		}
		const res = runKql(query, { now, resolveTable: (n) => huntingTable(store, n), timeFilter });
		// P-6: estimate the result size from a sample of rows (full serialisation would cost too much).
		const sample = res.rows.slice(0, 200);
		const est = sample.length ? (JSON.stringify(sample).length / sample.length) * res.rows.length : 0;
		if (est > store.opts.huntingMaxResultBytes)
			throw new ApiError(400, 'BadRequest', 'Query execution has exceeded the allowed result size. Optimize your query by limiting the number of results and try again.');
		return { res, ms: Date.now() - t0 };
	} catch (e) {
		if (e instanceof KqlError) throw new ApiError(400, 'BadRequest', e.message);
		throw e;
	}
}

function stats(res: { rows: unknown[] }, ms: number) {
	return {
		ExecutionTime: ms / 1000,
		resource_usage: {
			cache: { memory: { hits: 0, misses: 0, total: 0 }, disk: { hits: 0, misses: 0, total: 0 } },
			cpu: { user: '00:00:00', kernel: '00:00:00', 'total cpu': '00:00:00' },
			memory: { peak_per_node: 0 },
		},
		dataset_statistics: [{ table_row_count: res.rows.length, table_size: 0 }],
	};
}

export const huntingRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'POST',
		path: '/api/advancedqueries/run',
		api: 'mde',
		handler: (req, store) => {
			const { res, ms } = execute(req, store, 'mde');
			return ok({
				Stats: stats(res, ms),
				Schema: res.columns.map((c) => ({ Name: c.name, Type: c.type })),
				Results: res.rows,
			});
		},
	},
	{
		method: 'POST',
		path: '/api/advancedhunting/run',
		api: 'xdr',
		handler: (req, store) => {
			const { res, ms } = execute(req, store, 'xdr');
			return ok({
				Stats: stats(res, ms),
				Schema: res.columns.map((c) => ({ Name: c.name, Type: c.type })),
				Results: res.rows,
			});
		},
	},
	{
		method: 'POST',
		path: '/v1.0/security/runHuntingQuery',
		api: 'graph',
		handler: (req, store) => {
			const { res } = execute(req, store, 'graph');
			return ok({
				'@odata.context': ctxUrl(req, 'graph', 'microsoft.graph.security.huntingQueryResults'),
				schema: res.columns.map((c) => ({ name: c.name, type: c.type })),
				results: res.rows,
			});
		},
	},
];

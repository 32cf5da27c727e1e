/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * Node-parameter resolution for the test harness, close to what n8n does for
 * `getNodeParameter`: defaults come from the node description (only for parameters whose
 * displayOptions match), dotted paths read inside collections, expressions (`={{ … }}`) are
 * evaluated against the item, and resource locators honour `extractValue`.
 */
import * as vm from 'node:vm';
import type {
	IDataObject,
	INodeExecutionData,
	INodeProperties,
	INodePropertyValueExtractor,
} from 'n8n-workflow';

export type ParamValue = unknown;
/** A parameter given as a function is called per item (handy instead of an expression). */
export type ParamFunction = (itemIndex: number, item: INodeExecutionData | undefined) => unknown;

export interface ResolveContext {
	properties: INodeProperties[];
	parameters: IDataObject;
	items: INodeExecutionData[];
	typeVersion: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function clone<T>(v: T): T {
	return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function getPath(obj: unknown, path: string[]): unknown {
	let cur: unknown = obj;
	for (const key of path) {
		if (!isPlainObject(cur) && !Array.isArray(cur)) return undefined;
		cur = (cur as Record<string, unknown>)[key];
	}
	return cur;
}

/** Evaluates `={{ expr }}` templates with `$json`, `$item`, `$itemIndex`, `$parameter`. */
export function evaluateExpression(
	value: string,
	itemIndex: number,
	item: INodeExecutionData | undefined,
	parameters: IDataObject,
): unknown {
	const body = value.slice(1);
	const scope = {
		$json: item?.json ?? {},
		$binary: item?.binary ?? {},
		$item: item,
		$itemIndex: itemIndex,
		$parameter: parameters,
		$now: new Date(),
	};
	const run = (expr: string): unknown => vm.runInNewContext(`(${expr})`, { ...scope });
	const whole = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(body);
	if (whole && !whole[1].includes('}}')) return run(whole[1]);
	return body.replace(/\{\{([\s\S]*?)\}\}/g, (_m, expr: string) => {
		const r = run(expr);
		return typeof r === 'object' ? JSON.stringify(r) : String(r);
	});
}

/** Evaluates an n8n-style value (`={{ … }}` or plain) with the given variables (e.g. `$credentials`). */
export function evaluateWithScope(value: unknown, scope: Record<string, unknown>): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const body = value.slice(1);
	const run = (expr: string): unknown => vm.runInNewContext(`(${expr})`, { ...scope });
	const whole = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(body);
	if (whole && !whole[1].includes('}}')) return run(whole[1]);
	return body.replace(/\{\{([\s\S]*?)\}\}/g, (_m, expr: string) => String(run(expr)));
}

/** Recursively resolves functions and expressions inside a parameter value. */
export function resolveValue(
	value: unknown,
	itemIndex: number,
	ctx: ResolveContext,
	rawExpressions = false,
): unknown {
	const item = ctx.items[itemIndex] ?? ctx.items[0];
	if (typeof value === 'function') return (value as ParamFunction)(itemIndex, item);
	if (typeof value === 'string' && value.startsWith('=') && !rawExpressions) {
		return evaluateExpression(value, itemIndex, item, ctx.parameters);
	}
	if (Array.isArray(value)) return value.map((v) => resolveValue(v, itemIndex, ctx, rawExpressions));
	if (isPlainObject(value)) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, itemIndex, ctx, rawExpressions);
		return out;
	}
	return value;
}

function matchesValues(actual: unknown, expected: unknown[]): boolean {
	return expected.some((e) => {
		if (isPlainObject(e) && '_cnd' in e) {
			const cnd = e._cnd as Record<string, unknown>;
			const [op, target] = Object.entries(cnd)[0] ?? [];
			switch (op) {
				case 'eq':
					return actual === target;
				case 'not':
					return actual !== target;
				case 'gte':
					return (actual as number) >= (target as number);
				case 'lte':
					return (actual as number) <= (target as number);
				case 'gt':
					return (actual as number) > (target as number);
				case 'lt':
					return (actual as number) < (target as number);
				case 'exists':
					return actual !== undefined && actual !== null && actual !== '';
				case 'includes':
					return typeof actual === 'string' && actual.includes(String(target));
				case 'startsWith':
					return typeof actual === 'string' && actual.startsWith(String(target));
				default:
					return true;
			}
		}
		if (Array.isArray(actual)) return actual.includes(e);
		return actual === e;
	});
}

/** Whether a property is visible given the (raw, top-level) parameter values. */
export function isVisible(
	prop: INodeProperties,
	ctx: ResolveContext,
	lookup: (name: string) => unknown,
): boolean {
	const d = prop.displayOptions;
	if (!d) return true;
	const valueOf = (key: string): unknown => {
		if (key === '@version') return ctx.typeVersion;
		const path = key.replace(/^\//, '').split('.');
		const top = lookup(path[0]);
		return path.length === 1 ? top : getPath(top, path.slice(1));
	};
	for (const [key, values] of Object.entries(d.show ?? {})) {
		if (!values) continue;
		if (!matchesValues(valueOf(key), values as unknown[])) return false;
	}
	for (const [key, values] of Object.entries(d.hide ?? {})) {
		if (!values) continue;
		if (matchesValues(valueOf(key), values as unknown[])) return false;
	}
	return true;
}

/** The raw (unresolved) top-level value of a parameter: given value, else visible default. */
export function rawTopLevel(name: string, ctx: ResolveContext, seen = new Set<string>()): unknown {
	if (Object.prototype.hasOwnProperty.call(ctx.parameters, name)) return ctx.parameters[name];
	if (seen.has(name)) return undefined;
	seen.add(name);
	const lookup = (n: string) => rawTopLevel(n, ctx, new Set(seen));
	const candidates = ctx.properties.filter((p) => p.name === name);
	const visible = candidates.find((p) => isVisible(p, ctx, lookup));
	if (visible) return clone(visible.default);
	return undefined;
}

function findProperty(name: string, ctx: ResolveContext): INodeProperties | undefined {
	const lookup = (n: string) => rawTopLevel(n, ctx);
	const candidates = ctx.properties.filter((p) => p.name === name);
	return candidates.find((p) => isVisible(p, ctx, lookup)) ?? candidates[0];
}

function extractLocatorValue(prop: INodeProperties | undefined, rl: Record<string, unknown>): unknown {
	const value = rl.value;
	const mode = prop?.modes?.find((m) => m.name === rl.mode);
	const extract = (mode?.extractValue ?? prop?.extractValue) as INodePropertyValueExtractor | undefined;
	if (extract && extract.type === 'regex' && typeof value === 'string') {
		const m = new RegExp(extract.regex).exec(value);
		if (!m) {
			throw new Error(`ERROR: ${prop?.displayName ?? 'Parameter'} parameter's value is invalid.`);
		}
		return m[1] ?? m[0];
	}
	return value;
}

function replaceLocators(v: unknown): unknown {
	if (isPlainObject(v)) {
		if (v.__rl === true) return v.value;
		const out: Record<string, unknown> = {};
		for (const [k, x] of Object.entries(v)) out[k] = replaceLocators(x);
		return out;
	}
	if (Array.isArray(v)) return v.map(replaceLocators);
	return v;
}

const NO_FALLBACK = Symbol('noFallback');

/**
 * n8n's getNodeParameter: resolves `name` (may be a dotted path) for item `itemIndex`.
 * Throws like n8n when the parameter does not exist and no fallback is given.
 */
export function getNodeParameter(
	ctx: ResolveContext,
	name: string,
	itemIndex: number,
	fallback: unknown = NO_FALLBACK,
	options: { extractValue?: boolean; rawExpressions?: boolean } = {},
): unknown {
	const path = name.split('.');
	const top = rawTopLevel(path[0], ctx);
	let value: unknown = path.length === 1 ? top : getPath(top, path.slice(1));
	if (value === undefined) {
		if (fallback === NO_FALLBACK) throw new Error(`Could not get parameter "${name}"`);
		return fallback;
	}
	value = resolveValue(value, itemIndex, ctx, options.rawExpressions);
	if (options.extractValue) {
		if (isPlainObject(value) && value.__rl === true) {
			return extractLocatorValue(path.length === 1 ? findProperty(path[0], ctx) : undefined, value);
		}
		return replaceLocators(value);
	}
	return value;
}

/** Parameters as n8n stores them for `getNode().parameters`: given values plus visible defaults. */
export function resolvedTopLevel(ctx: ResolveContext): IDataObject {
	const out: IDataObject = {};
	const names = new Set([...ctx.properties.map((p) => p.name), ...Object.keys(ctx.parameters)]);
	for (const n of names) {
		const v = rawTopLevel(n, ctx);
		if (v !== undefined && typeof v !== 'function') out[n] = v as IDataObject[string];
	}
	return out;
}

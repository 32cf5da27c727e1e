/**
 * The OData query subset the Defender APIs accept: `$filter` (eq, ne, gt, ge, lt, le, and, or,
 * not, parentheses, `in (...)`, `startswith`/`endswith`/`contains`, `tolower`/`toupper`,
 * `field/any(x: x eq '...')` lambdas on string arrays), `$orderby`, `$top`, `$skip`, `$select`.
 *
 * Filters compile once into closures over the entity's field getters, so evaluating 100k
 * records is a tight loop. Literals: strings in single quotes ('' escapes a quote), numbers,
 * true/false/null, datetimes unquoted (`2024-05-01T00:00:00Z`, date-only, offsets, 0–9 fraction
 * digits) or as `datetime'...'`/`datetimeoffset'...'`. A quoted string against a datetime field
 * is rejected like OData v4 does (incompatible types). String comparisons are case-insensitive.
 */
import { canonTime } from './data/model';

export class ODataError extends Error {}

export type FieldType = 'string' | 'datetime' | 'number' | 'bool' | 'stringArray';

export interface FieldDef<T> {
	type: FieldType;
	get: (x: T) => unknown;
	/** Default true. */
	sortable?: boolean;
	/** Default true; false = known property that cannot be filtered (400 with a specific message). */
	filterable?: boolean;
}

export interface EntitySpec<T> {
	/** Type name used in error messages, e.g. `microsoft.graph.security.alert`. */
	typeName: string;
	fields: Record<string, FieldDef<T>>;
	/** Other known (non-filterable) properties, for better error messages. */
	otherProps?: string[];
}

// ------------------------------------------------------------------ tokenizer

type Tok =
	| { k: 'ident'; v: string; pos: number }
	| { k: 'str'; v: string; pos: number }
	| { k: 'num'; v: number; pos: number }
	| { k: 'date'; v: string; pos: number }
	| { k: 'punct'; v: '(' | ')' | ',' | ':' | '/'; pos: number }
	| { k: 'eof'; pos: number };

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|z|[+-]\d{2}:\d{2})?)?/;
const NUM_RE = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlMmDdFf]?/;
const IDENT_RE = /^[A-Za-z_$@][\w$.@]*/;

function tokenize(src: string): Tok[] {
	const out: Tok[] = [];
	let i = 0;
	while (i < src.length) {
		const c = src[i];
		if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '+') {
			i++;
			continue;
		}
		if (c === "'") {
			let j = i + 1;
			let s = '';
			for (;;) {
				if (j >= src.length) throw new ODataError(`Syntax error: unterminated string literal at position ${i} in '${src}'.`);
				if (src[j] === "'") {
					if (src[j + 1] === "'") {
						s += "'";
						j += 2;
						continue;
					}
					break;
				}
				s += src[j++];
			}
			out.push({ k: 'str', v: s, pos: i });
			i = j + 1;
			continue;
		}
		if ('(),:/'.includes(c)) {
			out.push({ k: 'punct', v: c as '(', pos: i });
			i++;
			continue;
		}
		const rest = src.slice(i);
		const d = DATE_RE.exec(rest);
		if (d && (d[0].length > 10 || !/^[\w.]/.test(rest.slice(10)))) {
			const canon = canonTime(d[0]);
			if (!canon) throw new ODataError(`Syntax error: '${d[0]}' is not a valid DateTimeOffset at position ${i} in '${src}'.`);
			out.push({ k: 'date', v: canon, pos: i });
			i += d[0].length;
			continue;
		}
		const n = NUM_RE.exec(rest);
		if (n && (c !== '-' || /\d/.test(rest[1] ?? ''))) {
			out.push({ k: 'num', v: parseFloat(n[0]), pos: i });
			i += n[0].length;
			continue;
		}
		const id = IDENT_RE.exec(rest);
		if (id) {
			const word = id[0];
			const lw = word.toLowerCase();
			if ((lw === 'datetime' || lw === 'datetimeoffset') && src[i + word.length] === "'") {
				const end = src.indexOf("'", i + word.length + 1);
				if (end < 0) throw new ODataError(`Syntax error: unterminated literal at position ${i} in '${src}'.`);
				const raw = src.slice(i + word.length + 1, end);
				const canon = canonTime(raw);
				if (!canon) throw new ODataError(`Syntax error: '${raw}' is not a valid DateTimeOffset at position ${i} in '${src}'.`);
				out.push({ k: 'date', v: canon, pos: i });
				i = end + 1;
				continue;
			}
			out.push({ k: 'ident', v: word, pos: i });
			i += word.length;
			continue;
		}
		throw new ODataError(`Syntax error: character '${c}' is not valid at position ${i} in '${src}'.`);
	}
	out.push({ k: 'eof', pos: src.length });
	return out;
}

// ------------------------------------------------------------------ parser → closures

type Pred<T> = (x: T) => boolean;
type Val<T> = { type: FieldType | 'null' | 'str' | 'any'; get: (x: T) => unknown; literal: boolean; name: string };

const COMPARE_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
type CmpOp = (typeof COMPARE_OPS)[number];
const OP_KIND: Record<CmpOp, string> = {
	eq: 'Equal',
	ne: 'NotEqual',
	gt: 'GreaterThan',
	ge: 'GreaterThanOrEqual',
	lt: 'LessThan',
	le: 'LessThanOrEqual',
};
const EDM: Record<string, string> = {
	string: 'Edm.String',
	str: 'Edm.String',
	datetime: 'Edm.DateTimeOffset',
	number: 'Edm.Int64',
	bool: 'Edm.Boolean',
	stringArray: 'Collection(Edm.String)',
	null: '<null>',
	any: 'Edm.Untyped',
};

function lower(v: unknown): unknown {
	return typeof v === 'string' ? v.toLowerCase() : v;
}

class Parser<T> {
	private i = 0;
	constructor(
		private toks: Tok[],
		private src: string,
		private spec: EntitySpec<T>,
		/** Lambda variables in scope: name → element type. */
		private vars: Map<string, FieldType> = new Map(),
	) {}

	private peek(): Tok {
		return this.toks[this.i];
	}
	private next(): Tok {
		return this.toks[this.i++];
	}
	private isWord(t: Tok, w: string) {
		return t.k === 'ident' && t.v.toLowerCase() === w;
	}
	private expectPunct(p: string) {
		const t = this.next();
		if (t.k !== 'punct' || t.v !== p) this.fail(t, `'${p}' expected`);
	}
	private fail(t: Tok, what: string): never {
		const near = t.k === 'eof' ? 'end of input' : `position ${t.pos}`;
		throw new ODataError(`Syntax error: ${what} at ${near} in '${this.src}'.`);
	}

	parseAll(): Pred<T> {
		const p = this.parseOr();
		const t = this.peek();
		if (t.k !== 'eof') this.fail(t, `unexpected '${'v' in t ? t.v : ''}'`);
		return p;
	}

	private parseOr(): Pred<T> {
		let l = this.parseAnd();
		while (this.isWord(this.peek(), 'or')) {
			this.next();
			const a = l;
			const b = this.parseAnd();
			l = (x) => a(x) || b(x);
		}
		return l;
	}
	private parseAnd(): Pred<T> {
		let l = this.parseUnary();
		while (this.isWord(this.peek(), 'and')) {
			this.next();
			const a = l;
			const b = this.parseUnary();
			l = (x) => a(x) && b(x);
		}
		return l;
	}
	private parseUnary(): Pred<T> {
		if (this.isWord(this.peek(), 'not')) {
			this.next();
			const p = this.parseUnary();
			return (x) => !p(x);
		}
		const t = this.peek();
		if (t.k === 'punct' && t.v === '(') {
			// parenthesised boolean expression
			this.next();
			const p = this.parseOr();
			this.expectPunct(')');
			return p;
		}
		return this.parseComparison();
	}

	private parseComparison(): Pred<T> {
		const left = this.parseOperand();
		const t = this.peek();
		if (t.k === 'ident') {
			const w = t.v.toLowerCase();
			if ((COMPARE_OPS as readonly string[]).includes(w)) {
				this.next();
				const right = this.parseOperand();
				return this.compare(left, w as CmpOp, right);
			}
			if (w === 'in') {
				this.next();
				return this.parseIn(left);
			}
		}
		if (left.type === 'bool' && !left.literal) return (x) => left.get(x) === true;
		return this.fail(t, 'comparison operator (eq, ne, gt, ge, lt, le) expected');
	}

	private parseIn(left: Val<T>): Pred<T> {
		this.expectPunct('(');
		const vals: unknown[] = [];
		for (;;) {
			const v = this.parseOperand();
			if (!v.literal) this.fail(this.peek(), 'literal expected in the in-list');
			this.checkTypes(left, 'eq', v);
			vals.push(lower(v.get(undefined as unknown as T)));
			const t = this.next();
			if (t.k === 'punct' && t.v === ')') break;
			if (!(t.k === 'punct' && t.v === ',')) this.fail(t, "',' or ')' expected");
		}
		const set = new Set(vals);
		if (left.type === 'stringArray') return (x) => ((left.get(x) as string[]) ?? []).some((e) => set.has(lower(e)));
		return (x) => set.has(lower(left.get(x)));
	}

	private field(name: string, tok: Tok): Val<T> {
		const vt = this.vars.get(name);
		if (vt) return { type: vt, get: (x) => x, literal: false, name };
		const lname = name.toLowerCase();
		const key = Object.keys(this.spec.fields).find((k) => k.toLowerCase() === lname);
		if (!key) {
			if (this.spec.otherProps?.some((p) => p.toLowerCase() === lname))
				throw new ODataError(`The property '${name}' cannot be used in the $filter query option.`);
			throw new ODataError(`Could not find a property named '${name}' on type '${this.spec.typeName}'.`);
		}
		const f = this.spec.fields[key];
		if (f.filterable === false) throw new ODataError(`The property '${name}' cannot be used in the $filter query option.`);
		void tok;
		return { type: f.type, get: f.get, literal: false, name: key };
	}

	private parseOperand(): Val<T> {
		const t = this.next();
		switch (t.k) {
			case 'str':
				return { type: 'str', get: () => t.v, literal: true, name: `'${t.v}'` };
			case 'num':
				return { type: 'number', get: () => t.v, literal: true, name: String(t.v) };
			case 'date':
				return { type: 'datetime', get: () => t.v, literal: true, name: t.v };
			case 'punct':
				if (t.v === '(') {
					const v = this.parseOperand();
					this.expectPunct(')');
					return v;
				}
				return this.fail(t, `unexpected '${t.v}'`);
			case 'eof':
				return this.fail(t, 'operand expected');
		}
		const w = t.v.toLowerCase();
		if (w === 'true' || w === 'false') return { type: 'bool', get: () => w === 'true', literal: true, name: w };
		if (w === 'null') return { type: 'null', get: () => null, literal: true, name: 'null' };
		const nt = this.peek();
		if (nt.k === 'punct' && nt.v === '(') return this.parseFunction(t.v, t);
		if (nt.k === 'punct' && nt.v === '/') return this.parseLambda(t.v, t);
		return this.field(t.v, t);
	}

	private parseFunction(name: string, tok: Tok): Val<T> {
		const fn = name.toLowerCase();
		this.expectPunct('(');
		const args: Val<T>[] = [];
		const c = this.peek();
		if (!(c.k === 'punct' && c.v === ')')) {
			for (;;) {
				args.push(this.parseOperand());
				const t = this.next();
				if (t.k === 'punct' && t.v === ')') break;
				if (!(t.k === 'punct' && t.v === ',')) this.fail(t, "',' or ')' expected");
			}
		} else this.next();
		if (fn === 'startswith' || fn === 'endswith' || fn === 'contains' || fn === 'substringof') {
			if (args.length !== 2) throw new ODataError(`The function '${name}' requires 2 arguments.`);
			let [a, b] = args;
			if (fn === 'substringof') [a, b] = [b, a];
			if (a.type !== 'string' && a.type !== 'str') throw new ODataError(`No function signature for the function with name '${name}' matches the specified arguments.`);
			const needle = String(b.get(undefined as unknown as T)).toLowerCase();
			const getA = a.get;
			const test =
				fn === 'startswith'
					? (s: string) => s.startsWith(needle)
					: fn === 'endswith'
						? (s: string) => s.endsWith(needle)
						: (s: string) => s.includes(needle);
			return {
				type: 'bool',
				literal: false,
				name: `${name}()`,
				get: (x) => {
					const v = getA(x);
					return typeof v === 'string' && test(v.toLowerCase());
				},
			};
		}
		if (fn === 'tolower' || fn === 'toupper' || fn === 'trim') {
			if (args.length !== 1) throw new ODataError(`The function '${name}' requires 1 argument.`);
			const a = args[0];
			const f = fn === 'tolower' ? (s: string) => s.toLowerCase() : fn === 'toupper' ? (s: string) => s.toUpperCase() : (s: string) => s.trim();
			return { type: 'string', literal: false, name: `${name}()`, get: (x) => (typeof a.get(x) === 'string' ? f(a.get(x) as string) : a.get(x)) };
		}
		throw new ODataError(`An unknown function with name '${name}' was found (position ${tok.pos}). This may also be a function import or a key lookup on a navigation property, which is not allowed.`);
	}

	private parseLambda(name: string, tok: Tok): Val<T> {
		const coll = this.field(name, tok);
		this.expectPunct('/');
		const op = this.next();
		if (op.k !== 'ident' || !['any', 'all'].includes(op.v.toLowerCase())) this.fail(op, "'any' or 'all' expected");
		if (coll.type !== 'stringArray') throw new ODataError(`The parent value for the '${(op as { v: string }).v}' query node is not a collection.`);
		this.expectPunct('(');
		const isAny = (op as { v: string }).v.toLowerCase() === 'any';
		const c = this.peek();
		if (c.k === 'punct' && c.v === ')') {
			this.next();
			return { type: 'bool', literal: false, name: `${name}/any()`, get: (x) => ((coll.get(x) as unknown[]) ?? []).length > 0 };
		}
		const v = this.next();
		if (v.k !== 'ident') this.fail(v, 'lambda variable expected');
		this.expectPunct(':');
		const vars = new Map(this.vars);
		vars.set((v as { v: string }).v, 'string');
		const sub = new Parser<unknown>(this.toks, this.src, this.spec as EntitySpec<unknown>, vars);
		sub.i = this.i;
		const pred = sub.parseOr();
		this.i = sub.i;
		this.expectPunct(')');
		return {
			type: 'bool',
			literal: false,
			name: `${name}/${isAny ? 'any' : 'all'}()`,
			get: (x) => {
				const arr = (coll.get(x) as unknown[]) ?? [];
				return isAny ? arr.some((e) => pred(e)) : arr.every((e) => pred(e));
			},
		};
	}

	private checkTypes(l: Val<T>, op: CmpOp, r: Val<T>) {
		const norm = (t: Val<T>['type']) => (t === 'str' ? 'string' : t);
		const a = norm(l.type);
		const b = norm(r.type);
		if (a === 'null' || b === 'null') {
			if (op !== 'eq' && op !== 'ne') throw new ODataError(`A binary operator with incompatible types was detected. Found operand types '${EDM[l.type]}' and '${EDM[r.type]}' for operator kind '${OP_KIND[op]}'.`);
			return;
		}
		if (a === b) return;
		if ((a === 'stringArray' && b === 'string') || (a === 'string' && b === 'stringArray')) return;
		throw new ODataError(`A binary operator with incompatible types was detected. Found operand types '${EDM[l.type]}' and '${EDM[r.type]}' for operator kind '${OP_KIND[op]}'.`);
	}

	private compare(l: Val<T>, op: CmpOp, r: Val<T>): Pred<T> {
		this.checkTypes(l, op, r);
		// Normalise to field-on-the-left when possible.
		if (l.literal && !r.literal) {
			const flip: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
			return this.compare(r, flip[op], l);
		}
		const getL = l.get;
		if (l.type === 'stringArray') {
			if (op !== 'eq' && op !== 'ne') throw new ODataError(`Operator '${op}' is not supported on collection property '${l.name}'.`);
			const needle = lower(r.get(undefined as unknown as T));
			const has = (x: T) => ((getL(x) as unknown[]) ?? []).some((e) => lower(e) === needle);
			return op === 'eq' ? has : (x) => !has(x);
		}
		const cmp = (a: unknown, b: unknown): number | undefined => {
			if (a === null || a === undefined || b === null || b === undefined) return undefined;
			const x = lower(a) as string | number;
			const y = lower(b) as string | number;
			return x < y ? -1 : x > y ? 1 : 0;
		};
		const apply = (c: number | undefined, a: unknown, b: unknown): boolean => {
			if (c === undefined) {
				const bothNull = (a === null || a === undefined) && (b === null || b === undefined);
				if (op === 'eq') return bothNull;
				if (op === 'ne') return !bothNull;
				return false;
			}
			switch (op) {
				case 'eq':
					return c === 0;
				case 'ne':
					return c !== 0;
				case 'gt':
					return c > 0;
				case 'ge':
					return c >= 0;
				case 'lt':
					return c < 0;
				default:
					return c <= 0;
			}
		};
		if (r.literal) {
			const rv = r.get(undefined as unknown as T);
			const lrv = lower(rv);
			// fast paths for the common cases
			if (l.type === 'datetime' && typeof rv === 'string') {
				switch (op) {
					case 'ge':
						return (x) => {
							const v = getL(x) as string | null;
							return v !== null && v !== undefined && v >= rv;
						};
					case 'gt':
						return (x) => {
							const v = getL(x) as string | null;
							return v !== null && v !== undefined && v > rv;
						};
					case 'le':
						return (x) => {
							const v = getL(x) as string | null;
							return v !== null && v !== undefined && v <= rv;
						};
					case 'lt':
						return (x) => {
							const v = getL(x) as string | null;
							return v !== null && v !== undefined && v < rv;
						};
				}
			}
			if (op === 'eq' && typeof lrv === 'string') return (x) => lower(getL(x)) === lrv;
			return (x) => {
				const a = getL(x);
				return apply(cmp(a, rv), a, rv);
			};
		}
		const getR = r.get;
		return (x) => {
			const a = getL(x);
			const b = getR(x);
			return apply(cmp(a, b), a, b);
		};
	}
}

/** Compile `$filter` into a predicate. Throws ODataError on syntax errors and unknown/unfilterable properties. */
export function compileFilter<T>(filter: string | undefined, spec: EntitySpec<T>): Pred<T> | undefined {
	if (filter === undefined || filter.trim() === '') return undefined;
	return new Parser<T>(tokenize(filter), filter, spec).parseAll();
}

/** A comparator that can also expose its sort keys (so callers can decorate-sort-undecorate). */
export type OrderComparator<T> = ((a: T, b: T) => number) & { keyOf?: (x: T) => unknown[]; dirs?: number[] };

/** Compare two precomputed key tuples (nulls first ascending, as the comparator does). */
export function compareKeys(ka: unknown[], kb: unknown[], dirs: number[]): number {
	for (let i = 0; i < dirs.length; i++) {
		const x = ka[i] as string | number | null | undefined;
		const y = kb[i] as string | number | null | undefined;
		if (x === y) continue;
		if (x === null || x === undefined) return -dirs[i];
		if (y === null || y === undefined) return dirs[i];
		return (x < y ? -1 : 1) * dirs[i];
	}
	return 0;
}

/** Compile `$orderby` into a comparator (stable ties are the caller's job). */
export function compileOrderBy<T>(orderby: string | undefined, spec: EntitySpec<T>): OrderComparator<T> | undefined {
	if (orderby === undefined || orderby.trim() === '') return undefined;
	const parts = orderby.split(',').map((p) => p.trim()).filter(Boolean);
	const keys = parts.map((p) => {
		const m = /^([\w.]+)(?:\s+(asc|desc))?$/i.exec(p);
		if (!m) throw new ODataError(`Syntax error in $orderby: '${p}'.`);
		const lname = m[1].toLowerCase();
		const key = Object.keys(spec.fields).find((k) => k.toLowerCase() === lname);
		if (!key) throw new ODataError(`Could not find a property named '${m[1]}' on type '${spec.typeName}'.`);
		const f = spec.fields[key];
		if (f.sortable === false) throw new ODataError(`The property '${m[1]}' cannot be used in the $orderby query option.`);
		// Only free-text strings sort case-insensitively; datetimes/numbers compare as they are.
		const get = f.type === 'string' ? (x: T) => lower(f.get(x)) : f.get;
		return { get, dir: m[2]?.toLowerCase() === 'desc' ? -1 : 1 };
	});
	const dirs = keys.map((k) => k.dir);
	const keyOf = (x: T) => keys.map((k) => k.get(x));
	const cmp: OrderComparator<T> = (a, b) => compareKeys(keyOf(a), keyOf(b), dirs);
	cmp.keyOf = keyOf;
	cmp.dirs = dirs;
	return cmp;
}

/** Parse a non-negative integer query option (`$top`, `$skip`). */
export function parseIntOption(name: string, v: string | undefined): number | undefined {
	if (v === undefined || v === '') return undefined;
	if (!/^\s*\d+\s*$/.test(v)) throw new ODataError(`Invalid value '${v}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`);
	const n = Number(v);
	if (!Number.isSafeInteger(n)) throw new ODataError(`Invalid value '${v}' for ${name} query option found.`);
	return n;
}

/** `$select=a,b` → projector keeping those keys (matched case-insensitively against the object's keys). */
export function compileSelect(select: string | undefined, knownKeys: string[]): ((o: Record<string, unknown>) => Record<string, unknown>) | undefined {
	if (select === undefined || select.trim() === '' || select.trim() === '*') return undefined;
	const wanted = select.split(',').map((s) => s.trim()).filter(Boolean);
	const keys = wanted.map((w) => {
		const k = knownKeys.find((x) => x.toLowerCase() === w.toLowerCase());
		if (!k) throw new ODataError(`Could not find a property named '${w}' on type in the $select query option.`);
		return k;
	});
	return (o) => {
		const r: Record<string, unknown> = {};
		for (const k of keys) r[k] = o[k];
		return r;
	};
}

/** Split a `$expand` value into lower-cased names. */
export function expandSet(expand: string | undefined): Set<string> {
	return new Set((expand ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

export interface QueryResult<T> {
	/** The page. */
	items: T[];
	/** Total number matching the filter (before skip/top). */
	total: number;
}

/**
 * Filter + sort + page. `base` must already be in the default order; `sortedBase` optionally
 * provides a cached order for a given $orderby key so repeated pages do not re-sort.
 */
export function runQuery<T>(base: T[], o: { filter?: Pred<T>; order?: (a: T, b: T) => number; skip: number; top: number }): QueryResult<T> {
	let arr = o.filter ? base.filter(o.filter) : base;
	if (o.order) {
		const idx = new Map<T, number>();
		arr.forEach((x, i) => idx.set(x, i));
		const ord = o.order;
		arr = (arr === base ? arr.slice() : arr).sort((a, b) => ord(a, b) || idx.get(a)! - idx.get(b)!);
	}
	return { items: arr.slice(o.skip, o.skip + o.top), total: arr.length };
}

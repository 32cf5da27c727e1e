/**
 * A small KQL subset over the generated hunting tables:
 *   Table | where <expr> | project a, b, c = d | take N | limit N | order by c [asc|desc], …
 *   | sort by … | top N by c [asc|desc] | summarize [Name =] count() [by a, b] | count | distinct a, b
 * where-expressions: and, or, not(), parentheses; ==, !=, =~, !~, <, >, <=, >=, contains, !contains,
 * has, !has, startswith, !startswith, endswith, !endswith, in (…), !in (…), in~ (…);
 * literals: 'str', "str", numbers, true/false, datetime(…), ago(7d|1h|30m|10s|100ms), now().
 * Anything else throws KqlError (routes answer 400). Results are capped at 100,000 rows.
 */
import { canonTime, iso7 } from './data/model';
import { type Column, type KqlType, type Table } from './data/hunting';

export class KqlError extends Error {}

export const KQL_ROW_CAP = 100000;

export interface KqlResult {
	columns: Column[];
	rows: Record<string, unknown>[];
	truncated: boolean;
}

// ------------------------------------------------------------------ tokenizer

type Tok =
	| { k: 'id'; v: string; pos: number }
	| { k: 'str'; v: string; pos: number }
	| { k: 'num'; v: number; pos: number }
	| { k: 'span'; v: number; pos: number }
	| { k: 'op'; v: string; pos: number }
	| { k: 'eof'; pos: number };

const SPAN_UNITS: Record<string, number> = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1, tick: 0.0001 };
const OPS = ['==', '!=', '=~', '!~', '<=', '>=', '<', '>', '=', '|', ',', '(', ')', '..', '!', ';', '+', '-', '*', '/', '%', '[', ']', '.'];

function lineCol(src: string, pos: number): string {
	const before = src.slice(0, pos).split('\n');
	return `[${before.length},${before[before.length - 1].length + 1}]`;
}
function syntax(src: string, pos: number, near: string): never {
	throw new KqlError(`Syntax error: SYN0002: Query could not be parsed at '${near}' on line ${lineCol(src, pos)}`);
}

function tokenize(src: string): Tok[] {
	const out: Tok[] = [];
	let i = 0;
	while (i < src.length) {
		const ch = src[i];
		if (/\s/.test(ch)) {
			i++;
			continue;
		}
		if (ch === '/' && src[i + 1] === '/') {
			while (i < src.length && src[i] !== '\n') i++;
			continue;
		}
		if (ch === "'" || ch === '"') {
			let j = i + 1;
			let s = '';
			while (j < src.length && src[j] !== ch) {
				if (src[j] === '\\' && j + 1 < src.length) {
					s += src[j + 1];
					j += 2;
					continue;
				}
				s += src[j++];
			}
			if (j >= src.length) syntax(src, i, src.slice(i, i + 10));
			out.push({ k: 'str', v: s, pos: i });
			i = j + 1;
			continue;
		}
		const num = /^(\d+(?:\.\d+)?)(ms|d|h|m|s|tick)?(?![\w])/.exec(src.slice(i));
		if (num) {
			if (num[2]) out.push({ k: 'span', v: parseFloat(num[1]) * SPAN_UNITS[num[2]], pos: i });
			else out.push({ k: 'num', v: parseFloat(num[1]), pos: i });
			i += num[0].length;
			continue;
		}
		const id = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
		if (id) {
			// `project-away`, `!contains` etc. — identifiers may contain '-' only in operator names
			let word = id[0];
			if (word.includes('-') && !/^(project-away|project-rename|project-keep|mv-expand|make-series)$/i.test(word)) word = word.split('-')[0];
			out.push({ k: 'id', v: word, pos: i });
			i += word.length;
			// datetime(2024-05-01T00:00:00Z): keep the raw literal as one string token
			const open = /^\s*\(/.exec(src.slice(i));
			if (word.toLowerCase() === 'datetime' && open) {
				const close = src.indexOf(')', i);
				if (close < 0) syntax(src, i, src.slice(i, i + 10));
				out.push({ k: 'op', v: '(', pos: i + open[0].length - 1 });
				out.push({ k: 'str', v: src.slice(i + open[0].length, close).trim().replace(/^['"]|['"]$/g, ''), pos: i + open[0].length });
				out.push({ k: 'op', v: ')', pos: close });
				i = close + 1;
			}
			continue;
		}
		const op = OPS.find((o) => src.startsWith(o, i));
		if (op) {
			out.push({ k: 'op', v: op, pos: i });
			i += op.length;
			continue;
		}
		syntax(src, i, ch);
	}
	out.push({ k: 'eof', pos: src.length });
	return out;
}

// ------------------------------------------------------------------ parser/executor

type Row = Record<string, unknown>;
type Expr = (r: Row) => unknown;
interface Typed {
	fn: Expr;
	type: KqlType | 'Span' | 'Unknown';
	literal?: boolean;
	col?: string;
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
function escapeRe(s: string) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class Runner {
	private i = 0;
	private cols: Column[] = [];
	constructor(
		private src: string,
		private toks: Tok[],
		private now: number,
	) {}

	private peek(): Tok {
		return this.toks[this.i];
	}
	private next(): Tok {
		return this.toks[this.i++];
	}
	private isOp(t: Tok, v: string) {
		return t.k === 'op' && t.v === v;
	}
	private isWord(t: Tok, v: string) {
		return t.k === 'id' && t.v.toLowerCase() === v;
	}
	private near(t: Tok): string {
		return t.k === 'eof' ? '<end of query>' : this.src.slice(t.pos, t.pos + 20).split(/\s/)[0] || this.src[t.pos];
	}
	private fail(t: Tok): never {
		return syntax(this.src, t.pos, this.near(t));
	}
	private expectOp(v: string) {
		const t = this.next();
		if (!this.isOp(t, v)) this.fail(t);
	}

	run(resolveTable: (name: string) => Table | undefined, timeFilter?: (row: Row) => boolean): KqlResult {
		const t = this.next();
		if (t.k !== 'id') this.fail(t);
		const tableName = (t as { v: string }).v;
		const lw = tableName.toLowerCase();
		if (['let', 'union', 'search', 'find', 'print', 'range', 'datatable', 'externaldata', 'evaluate'].includes(lw))
			throw new KqlError(`Query uses '${tableName}', which this emulator does not support. Supported: Table | where | project | take | limit | order by | sort by | top | summarize count() by | count | distinct.`);
		const table = resolveTable(tableName);
		if (!table) throw new KqlError(`Semantic error: 'Failed to resolve table or column expression named '${tableName}'`);
		this.cols = table.columns.slice();
		let rows: Row[] = timeFilter ? table.rows.filter(timeFilter) : table.rows;
		let sorted = false;
		while (this.peek().k !== 'eof') {
			this.expectOp('|');
			const opTok = this.next();
			if (opTok.k !== 'id') this.fail(opTok);
			const op = (opTok as { v: string }).v.toLowerCase();
			switch (op) {
				case 'where':
				case 'filter': {
					const p = this.parseOr();
					if (p.type !== 'Boolean') throw new KqlError(`Semantic error: 'where' operator: the predicate must be a Boolean expression, got ${p.type === 'Span' ? 'timespan' : p.type.toLowerCase()}.`);
					rows = rows.filter((r) => p.fn(r) === true);
					break;
				}
				case 'project':
					rows = this.project(rows);
					break;
				case 'take':
				case 'limit': {
					const n = this.next();
					if (n.k !== 'num') this.fail(n);
					rows = rows.slice(0, (n as { v: number }).v);
					break;
				}
				case 'order':
				case 'sort': {
					const by = this.next();
					if (!this.isWord(by, 'by')) this.fail(by);
					rows = this.sort(rows);
					sorted = true;
					break;
				}
				case 'top': {
					const n = this.next();
					if (n.k !== 'num') this.fail(n);
					const by = this.next();
					if (!this.isWord(by, 'by')) this.fail(by);
					rows = this.sort(rows).slice(0, (n as { v: number }).v);
					sorted = true;
					break;
				}
				case 'summarize':
					rows = this.summarize(rows);
					break;
				case 'count':
					rows = [{ Count: rows.length }];
					this.cols = [{ name: 'Count', type: 'Int64' }];
					break;
				case 'distinct': {
					const names = this.columnList();
					const seen = new Set<string>();
					const out: Row[] = [];
					for (const r of rows) {
						const key = JSON.stringify(names.map((n) => r[n]));
						if (seen.has(key)) continue;
						seen.add(key);
						const o: Row = {};
						for (const n of names) o[n] = r[n];
						out.push(o);
					}
					rows = out;
					this.cols = names.map((n) => this.col(n, opTok));
					break;
				}
				default:
					throw new KqlError(`Query uses the '${(opTok as { v: string }).v}' operator, which this emulator does not support. Supported: where, project, take, limit, order by, sort by, top, summarize count() by, count, distinct.`);
			}
		}
		void sorted;
		const truncated = rows.length > KQL_ROW_CAP;
		if (truncated) rows = rows.slice(0, KQL_ROW_CAP);
		// Rows keep only the current columns, in order.
		const names = this.cols.map((c) => c.name);
		const out = rows.map((r) => {
			const o: Row = {};
			for (const n of names) o[n] = r[n] ?? null;
			return o;
		});
		return { columns: this.cols, rows: out, truncated };
	}

	private col(name: string, tok: Tok): Column {
		const c = this.cols.find((x) => x.name === name);
		if (!c) {
			const ci = this.cols.find((x) => x.name.toLowerCase() === name.toLowerCase());
			throw new KqlError(`Semantic error: Failed to resolve scalar expression named '${name}'${ci ? ` (did you mean '${ci.name}'? column names are case-sensitive)` : ''} at ${lineCol(this.src, tok.pos)}`);
		}
		return c;
	}

	private columnList(): string[] {
		const names: string[] = [];
		for (;;) {
			const t = this.next();
			if (t.k !== 'id') this.fail(t);
			this.col((t as { v: string }).v, t);
			names.push((t as { v: string }).v);
			if (!this.isOp(this.peek(), ',')) break;
			this.next();
		}
		return names;
	}

	private project(rows: Row[]): Row[] {
		const specs: { out: string; src: string; type: KqlType }[] = [];
		for (;;) {
			const t = this.next();
			if (t.k !== 'id') this.fail(t);
			let out = (t as { v: string }).v;
			let srcName = out;
			if (this.isOp(this.peek(), '=')) {
				this.next();
				const s = this.next();
				if (s.k !== 'id') throw new KqlError(`Query uses a computed expression in 'project', which this emulator does not support (only 'project Name = Column').`);
				srcName = (s as { v: string }).v;
				out = (t as { v: string }).v;
				specs.push({ out, src: srcName, type: this.col(srcName, s).type });
			} else specs.push({ out, src: srcName, type: this.col(srcName, t).type });
			if (!this.isOp(this.peek(), ',')) break;
			this.next();
		}
		this.cols = specs.map((s) => ({ name: s.out, type: s.type }));
		return rows.map((r) => {
			const o: Row = {};
			for (const s of specs) o[s.out] = r[s.src];
			return o;
		});
	}

	private sort(rows: Row[]): Row[] {
		const keys: { name: string; dir: number }[] = [];
		for (;;) {
			const t = this.next();
			if (t.k !== 'id') this.fail(t);
			this.col((t as { v: string }).v, t);
			let dir = -1; // KQL default is descending
			const d = this.peek();
			if (this.isWord(d, 'asc')) {
				dir = 1;
				this.next();
			} else if (this.isWord(d, 'desc')) this.next();
			if (this.isWord(this.peek(), 'nulls')) {
				this.next();
				this.next();
			}
			keys.push({ name: (t as { v: string }).v, dir });
			if (!this.isOp(this.peek(), ',')) break;
			this.next();
		}
		const idx = new Map<Row, number>();
		rows.forEach((r, i) => idx.set(r, i));
		return rows.slice().sort((a, b) => {
			for (const k of keys) {
				const x = a[k.name] as string | number | null;
				const y = b[k.name] as string | number | null;
				if (x === y) continue;
				if (x === null || x === undefined) return 1;
				if (y === null || y === undefined) return -1;
				return (x < y ? -1 : 1) * k.dir;
			}
			return idx.get(a)! - idx.get(b)!;
		});
	}

	private summarize(rows: Row[]): Row[] {
		let name = 'count_';
		let t = this.next();
		if (t.k === 'id' && this.isOp(this.peek(), '=')) {
			name = (t as { v: string }).v;
			this.next();
			t = this.next();
		}
		if (!(t.k === 'id' && (t as { v: string }).v.toLowerCase() === 'count')) {
			throw new KqlError(`Query uses an aggregation other than count() in 'summarize', which this emulator does not support.`);
		}
		this.expectOp('(');
		this.expectOp(')');
		let by: string[] = [];
		if (this.isWord(this.peek(), 'by')) {
			this.next();
			by = this.columnList();
		}
		const groups = new Map<string, Row>();
		for (const r of rows) {
			const key = by.length ? JSON.stringify(by.map((b) => r[b])) : '';
			let g = groups.get(key);
			if (!g) {
				g = {};
				for (const b of by) g[b] = r[b];
				g[name] = 0;
				groups.set(key, g);
			}
			(g[name] as number)++;
		}
		if (!by.length && groups.size === 0) groups.set('', { [name]: 0 });
		this.cols = [...by.map((b) => ({ name: b, type: this.col(b, t).type })), { name, type: 'Int64' as KqlType }];
		return [...groups.values()];
	}

	// --------------------------------------------- expressions

	private parseOr(): Typed {
		let l = this.parseAnd();
		while (this.isWord(this.peek(), 'or')) {
			this.next();
			const a = l.fn;
			const b = this.parseAnd().fn;
			l = { type: 'Boolean', fn: (r) => a(r) === true || b(r) === true };
		}
		return l;
	}
	private parseAnd(): Typed {
		let l = this.parseCmp();
		while (this.isWord(this.peek(), 'and')) {
			this.next();
			const a = l.fn;
			const b = this.parseCmp().fn;
			l = { type: 'Boolean', fn: (r) => a(r) === true && b(r) === true };
		}
		return l;
	}

	private parseCmp(): Typed {
		const left = this.parsePrimary();
		const t = this.peek();
		let op: string | undefined;
		if (t.k === 'op' && ['==', '!=', '=~', '!~', '<', '>', '<=', '>='].includes(t.v)) op = t.v;
		else if (t.k === 'op' && t.v === '!') {
			const n = this.toks[this.i + 1];
			if (n.k === 'id' && ['contains', 'has', 'startswith', 'endswith', 'in', 'contains_cs', 'has_cs'].includes(n.v.toLowerCase())) {
				this.next();
				op = '!' + n.v.toLowerCase();
			}
		} else if (t.k === 'id' && ['contains', 'has', 'startswith', 'endswith', 'in', 'contains_cs', 'has_cs', 'startswith_cs', 'between', 'matches'].includes(t.v.toLowerCase())) op = t.v.toLowerCase();
		if (!op) return left;
		this.next();
		if (op === 'matches' || op === 'between') throw new KqlError(`Query uses the '${op}' operator, which this emulator does not support.`);
		if (op === 'in' || op === '!in') {
			this.expectOp('(');
			const vals: unknown[] = [];
			for (;;) {
				const v = this.parsePrimary();
				if (!v.literal) throw new KqlError('Only literals are supported in an in (…) list.');
				vals.push(v.fn({}));
				if (this.isOp(this.peek(), ',')) {
					this.next();
					continue;
				}
				this.expectOp(')');
				break;
			}
			const set = new Set(vals);
			const f = left.fn;
			return { type: 'Boolean', fn: op === 'in' ? (r) => set.has(f(r)) : (r) => !set.has(f(r)) };
		}
		const right = this.parsePrimary();
		return this.compare(left, op, right);
	}

	private compare(l: Typed, op: string, r: Typed): Typed {
		const a = l.fn;
		const b = r.fn;
		const neg = op.startsWith('!') && op !== '!=' && op !== '!~';
		const base = neg ? op.slice(1) : op;
		const strOps = ['contains', 'has', 'startswith', 'endswith', 'contains_cs', 'has_cs', 'startswith_cs'];
		let fn: Expr;
		if (strOps.includes(base)) {
			const cs = base.endsWith('_cs');
			const kind = base.replace('_cs', '');
			const norm = (v: unknown) => (v === null || v === undefined ? '' : cs ? String(v) : String(v).toLowerCase());
			if (r.literal) {
				const needle = norm(b({}));
				const re = kind === 'has' ? new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRe(needle)}($|[^\\p{L}\\p{N}_])`, cs ? 'u' : 'iu') : undefined;
				fn = (row) => {
					const s = norm(a(row));
					switch (kind) {
						case 'contains':
							return s.includes(needle);
						case 'startswith':
							return s.startsWith(needle);
						case 'endswith':
							return s.endsWith(needle);
						default:
							return re!.test(s);
					}
				};
			} else {
				fn = (row) => {
					const s = norm(a(row));
					const n = norm(b(row));
					return kind === 'contains' ? s.includes(n) : kind === 'startswith' ? s.startsWith(n) : kind === 'endswith' ? s.endsWith(n) : s.split(/[^\p{L}\p{N}_]+/u).includes(n);
				};
			}
		} else {
			const isTime = l.type === 'DateTime' || r.type === 'DateTime';
			if (isTime && ((l.type === 'String' && l.literal) || (r.type === 'String' && r.literal)))
				throw new KqlError(`Semantic error: Cannot compare values of types datetime and string. Try adding explicit casts (e.g. datetime(...)).`);
			const ci = op === '=~' || op === '!~';
			fn = (row) => {
				let x = a(row);
				let y = b(row);
				if (ci) {
					x = lower(x);
					y = lower(y);
				}
				switch (op) {
					case '==':
					case '=~':
						return x === y;
					case '!=':
					case '!~':
						return x !== y;
				}
				if (x === null || x === undefined || y === null || y === undefined) return false;
				switch (op) {
					case '<':
						return (x as number) < (y as number);
					case '>':
						return (x as number) > (y as number);
					case '<=':
						return (x as number) <= (y as number);
					default:
						return (x as number) >= (y as number);
				}
			};
		}
		return { type: 'Boolean', fn: neg ? (row) => !fn(row) : fn };
	}

	private parsePrimary(): Typed {
		const t = this.next();
		switch (t.k) {
			case 'str':
				return { type: 'String', fn: () => t.v, literal: true };
			case 'num':
				return { type: 'Double', fn: () => t.v, literal: true };
			case 'span':
				return { type: 'Span', fn: () => t.v, literal: true };
			case 'op':
				if (t.v === '(') {
					const e = this.parseOr();
					this.expectOp(')');
					return e;
				}
				return this.fail(t);
			case 'eof':
				return this.fail(t);
		}
		const w = t.v;
		const lw = w.toLowerCase();
		if (lw === 'true' || lw === 'false') return { type: 'Boolean', fn: () => lw === 'true', literal: true };
		if (this.isOp(this.peek(), '(')) {
			this.next();
			switch (lw) {
				case 'ago': {
					const s = this.next();
					if (s.k !== 'span') throw new KqlError(`ago() expects a timespan such as 7d, 1h, 30m at ${lineCol(this.src, s.pos)}`);
					this.expectOp(')');
					const v = iso7(this.now - (s as { v: number }).v);
					return { type: 'DateTime', fn: () => v, literal: true };
				}
				case 'now': {
					this.expectOp(')');
					const v = iso7(this.now);
					return { type: 'DateTime', fn: () => v, literal: true };
				}
				case 'datetime': {
					const lit = this.next();
					if (lit.k !== 'str') this.fail(lit);
					this.expectOp(')');
					const raw = (lit as { v: string }).v;
					const v = canonTime(raw);
					if (!v) throw new KqlError(`Syntax error: '${raw}' is not a valid datetime literal at ${lineCol(this.src, lit.pos)}`);
					return { type: 'DateTime', fn: () => v, literal: true };
				}
				case 'not': {
					const e = this.parseOr();
					this.expectOp(')');
					return { type: 'Boolean', fn: (r) => e.fn(r) !== true };
				}
				case 'isempty':
				case 'isnotempty': {
					const e = this.parsePrimary();
					this.expectOp(')');
					const empty = (v: unknown) => v === null || v === undefined || v === '';
					return { type: 'Boolean', fn: lw === 'isempty' ? (r) => empty(e.fn(r)) : (r) => !empty(e.fn(r)) };
				}
				case 'tolower':
				case 'toupper': {
					const e = this.parsePrimary();
					this.expectOp(')');
					return { type: 'String', fn: (r) => (typeof e.fn(r) === 'string' ? (lw === 'tolower' ? (e.fn(r) as string).toLowerCase() : (e.fn(r) as string).toUpperCase()) : e.fn(r)) };
				}
				default:
					throw new KqlError(`Query uses the function '${w}()', which this emulator does not support.`);
			}
		}
		const c = this.col(w, t);
		return { type: c.type, fn: (r) => r[w], col: w };
	}
}

/** Run a query. `resolveTable` maps table names (case-sensitive) to tables; `timeFilter` pre-filters rows (Graph Timespan). */
export function runKql(query: string, o: { now: number; resolveTable: (name: string) => Table | undefined; timeFilter?: (row: Row) => boolean }): KqlResult {
	if (typeof query !== 'string' || query.trim() === '') throw new KqlError('Query is empty.');
	return new Runner(query, tokenize(query), o.now).run(o.resolveTable, o.timeFilter);
}

/**
 * Graph runHuntingQuery `Timespan`: ISO 8601 duration (`P7D`, `PT12H`), interval (`start/end`,
 * `P30D/end`, `start/P30D`) or a single start time. Returns [startCanon, endCanon].
 */
export function parseTimespan(ts: string, now: number): [string, string] {
	const dur = (s: string): number | undefined => {
		const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s.trim());
		if (!m || s.trim().toUpperCase() === 'P' || s.trim().toUpperCase().endsWith('T')) return undefined;
		return ((+(m[1] ?? 0) * 24 + +(m[2] ?? 0)) * 60 + +(m[3] ?? 0)) * 60000 + +(m[4] ?? 0) * 1000;
	};
	const parts = ts.split('/');
	const bad = () => {
		throw new KqlError(`Invalid Timespan '${ts}'. Use an ISO 8601 duration (P7D) or interval (start/end).`);
	};
	if (parts.length === 1) {
		const d = dur(parts[0]);
		if (d !== undefined) return [iso7(now - d), iso7(now)];
		const t = canonTime(parts[0]);
		if (!t) bad();
		return [t!, iso7(now)];
	}
	if (parts.length !== 2) bad();
	const [a, b] = parts;
	const da = dur(a);
	const db = dur(b);
	const ta = canonTime(a);
	const tb = canonTime(b);
	if (ta && tb) return [ta, tb];
	if (da !== undefined && tb) return [iso7(Date.parse(tb.slice(0, 23) + 'Z') - da), tb];
	if (ta && db !== undefined) return [ta, iso7(Date.parse(ta.slice(0, 23) + 'Z') + db)];
	return bad();
}

import { canonTime, iso7 } from './data/model';
import { type EntitySpec, ODataError, compileFilter, compileOrderBy, compileSelect, parseIntOption } from './odata';

interface Row {
	id: string;
	n: number;
	t: string;
	s: string | null;
	tags: string[];
	b: boolean;
}
const spec: EntitySpec<Row> = {
	typeName: 'test.row',
	fields: {
		id: { type: 'string', get: (r) => r.id },
		n: { type: 'number', get: (r) => r.n },
		lastUpdateTime: { type: 'datetime', get: (r) => r.t },
		status: { type: 'string', get: (r) => r.s },
		machineTags: { type: 'stringArray', get: (r) => r.tags },
		flag: { type: 'bool', get: (r) => r.b },
		hidden: { type: 'string', get: (r) => r.id, filterable: false },
	},
	otherProps: ['machineId'],
};
const rows: Row[] = [
	{ id: 'a', n: 1, t: canonTime('2024-05-01T00:00:00Z')!, s: 'New', tags: ['VIP', 'Lab'], b: true },
	{ id: "o'brien", n: 2, t: canonTime('2024-05-01T00:00:00.5Z')!, s: 'InProgress', tags: [], b: false },
	{ id: 'c', n: 3, t: canonTime('2024-05-02T10:00:00.1234567Z')!, s: null, tags: ['vip'], b: false },
	{ id: 'd', n: 4, t: canonTime('2024-06-01T00:00:00Z')!, s: 'Resolved', tags: ['Finance'], b: true },
];
const ids = (f: string) => rows.filter(compileFilter(f, spec)!).map((r) => r.id);
const err = (f: string) => {
	try {
		compileFilter(f, spec);
	} catch (e) {
		expect(e).toBeInstanceOf(ODataError);
		return (e as Error).message;
	}
	throw new Error(`no error for ${f}`);
};

describe('time canonicalisation', () => {
	test('7 fraction digits, offsets, date only', () => {
		expect(canonTime('2024-05-01T00:00:00Z')).toBe('2024-05-01T00:00:00.0000000Z');
		expect(canonTime('2024-05-01T00:00:00.7220239Z')).toBe('2024-05-01T00:00:00.7220239Z');
		expect(canonTime('2024-05-01T00:00:00.722023912Z')).toBe('2024-05-01T00:00:00.7220239Z');
		expect(canonTime('2024-05-01T02:00:00+02:00')).toBe('2024-05-01T00:00:00.0000000Z');
		expect(canonTime('2024-05-01')).toBe('2024-05-01T00:00:00.0000000Z');
		expect(canonTime('yesterday')).toBeUndefined();
		expect(iso7(Date.parse('2024-05-01T01:02:03.456Z'), 789)).toBe('2024-05-01T01:02:03.4560789Z');
	});
});

describe('$filter', () => {
	test('comparison operators on datetimes (unquoted, datetime literal, fractions)', () => {
		expect(ids('lastUpdateTime ge 2024-05-01T00:00:00Z')).toEqual(['a', "o'brien", 'c', 'd']);
		expect(ids('lastUpdateTime gt 2024-05-01T00:00:00Z')).toEqual(["o'brien", 'c', 'd']);
		expect(ids('lastUpdateTime gt 2024-05-01T00:00:00.5Z')).toEqual(['c', 'd']);
		expect(ids("lastUpdateTime lt datetime'2024-05-02T00:00:00Z'")).toEqual(['a', "o'brien"]);
		expect(ids('lastUpdateTime le 2024-05-02T10:00:00.1234567Z')).toEqual(['a', "o'brien", 'c']);
		expect(ids('lastUpdateTime eq 2024-06-01')).toEqual(['d']);
		expect(ids('2024-05-02T00:00:00Z lt lastUpdateTime')).toEqual(['c', 'd']);
	});
	test('strings: eq/ne case-insensitive, escaped quotes, null', () => {
		expect(ids("status eq 'new'")).toEqual(['a']);
		expect(ids("status ne 'New'")).toEqual(["o'brien", 'c', 'd']);
		expect(ids("id eq 'o''brien'")).toEqual(["o'brien"]);
		expect(ids('status eq null')).toEqual(['c']);
		expect(ids('status ne null')).toEqual(['a', "o'brien", 'd']);
	});
	test('and/or/not/parentheses/in/functions', () => {
		expect(ids("(status eq 'New' or status eq 'Resolved') and n gt 1")).toEqual(['d']);
		expect(ids("status eq 'New' or status eq 'Resolved' and n gt 1")).toEqual(['a', 'd']);
		expect(ids("not (status eq 'New')")).toEqual(["o'brien", 'c', 'd']);
		expect(ids("status in ('New', 'Resolved')")).toEqual(['a', 'd']);
		expect(ids("startswith(id,'O''B')")).toEqual(["o'brien"]);
		expect(ids("contains(id,'rie')")).toEqual(["o'brien"]);
		expect(ids("tolower(status) eq 'resolved'")).toEqual(['d']);
		expect(ids('n ge 2 and n le 3')).toEqual(["o'brien", 'c']);
		expect(ids('flag eq true')).toEqual(['a', 'd']);
		expect(ids('flag')).toEqual(['a', 'd']);
	});
	test('collections: any() lambda and eq shorthand', () => {
		expect(ids("machineTags/any(t: t eq 'VIP')")).toEqual(['a', 'c']);
		expect(ids('machineTags/any()')).toEqual(['a', 'c', 'd']);
		expect(ids("machineTags eq 'finance'")).toEqual(['d']);
		expect(ids("machineTags/all(t: t ne 'Lab')")).toEqual(["o'brien", 'c', 'd']);
	});
	test('errors: unknown / unfilterable property, bad syntax, type mismatch', () => {
		expect(err("foo eq 'x'")).toMatch(/Could not find a property named 'foo' on type 'test.row'/);
		expect(err("machineId eq 'x'")).toMatch(/'machineId' cannot be used in the \$filter/);
		expect(err("hidden eq 'x'")).toMatch(/cannot be used in the \$filter/);
		expect(err("status eq 'New")).toMatch(/unterminated/);
		expect(err("status eq 'New' and")).toMatch(/Syntax error/);
		expect(err("status = 'New'")).toMatch(/Syntax error/);
		expect(err("lastUpdateTime ge '2024-05-01T00:00:00Z'")).toMatch(/incompatible types.*Edm.DateTimeOffset.*Edm.String/);
		expect(err("n gt 'x'")).toMatch(/incompatible types/);
		expect(err('lastUpdateTime ge 2024-13-01T00:00:00Z')).toMatch(/not a valid DateTimeOffset/);
		expect(err("frobnicate(id,'x')")).toMatch(/unknown function/);
		expect(err("(status eq 'New'")).toMatch(/'\)' expected/);
	});
	test('empty filter = no predicate', () => {
		expect(compileFilter('', spec)).toBeUndefined();
		expect(compileFilter(undefined, spec)).toBeUndefined();
	});
});

describe('$orderby, $top/$skip, $select', () => {
	test('orderby asc/desc, multiple keys, nulls first', () => {
		const cmp = compileOrderBy('lastUpdateTime desc', spec)!;
		expect(rows.slice().sort(cmp).map((r) => r.id)).toEqual(['d', 'c', "o'brien", 'a']);
		const cmp2 = compileOrderBy('status, n desc', spec)!;
		expect(rows.slice().sort(cmp2).map((r) => r.id)).toEqual(['c', "o'brien", 'a', 'd']);
		expect(() => compileOrderBy('nope asc', spec)).toThrow(ODataError);
		expect(() => compileOrderBy('n sideways', spec)).toThrow(ODataError);
	});
	test('integers', () => {
		expect(parseIntOption('$top', '10')).toBe(10);
		expect(parseIntOption('$top', undefined)).toBeUndefined();
		expect(() => parseIntOption('$top', '-1')).toThrow(/non-negative integer/);
		expect(() => parseIntOption('$skip', 'abc')).toThrow(ODataError);
	});
	test('select', () => {
		const sel = compileSelect('id,N', ['id', 'n', 'x'])!;
		expect(sel({ id: 1, n: 2, x: 3 })).toEqual({ id: 1, n: 2 });
		expect(() => compileSelect('zzz', ['id'])).toThrow(ODataError);
	});
});

describe('robustness', () => {
	test('random token soup only ever yields a predicate or an ODataError (→ 400, never 500)', () => {
		const parts = ['status', 'eq', 'ne', 'gt', "'New'", "'o''x'", '(', ')', 'and', 'or', 'not', '2024-01-01T00:00:00Z', '12', 'null', 'true', 'in', ',', 'lastUpdateTime', 'machineTags', '/', 'any', ':', 't', 'startswith', "'", "datetime'2024-01-01'", 'n', '-', '$', '%', 'contains', 'tolower'];
		let seed = 42;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
		for (let i = 0; i < 5000; i++) {
			const n = 1 + Math.floor(rnd() * 8);
			const q = Array.from({ length: n }, () => parts[Math.floor(rnd() * parts.length)]).join(rnd() < 0.5 ? ' ' : '');
			try {
				const f = compileFilter(q, spec);
				if (f) rows.filter(f);
			} catch (e) {
				if (!(e instanceof ODataError)) expect(`${q} → ${(e as Error).message}`).toBe('an ODataError');
			}
		}
	});
});

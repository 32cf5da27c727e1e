/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-dangerous-functions */
// Guards the shape n8n verification requires. Needs `npm run build` first (`npm test` does it).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve('.');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function walk(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const full = join(dir, name);
		return statSync(full).isDirectory() ? walk(full) : [full];
	});
}

describe('package contract', () => {
	it('has no runtime dependencies and exactly n8n-workflow as peer', () => {
		expect(pkg.dependencies ?? {}).toEqual({});
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.license).toBe('MIT');
		expect(pkg.files).toEqual(['dist']);
		expect(pkg.n8n).toMatchObject({ n8nNodesApiVersion: 1, strict: true });
	});

	it('pins the official toolchain to an exact version', () => {
		expect(pkg.devDependencies['@n8n/node-cli']).toMatch(/^\d+\.\d+\.\d+$/);
	});

	it('every path in the n8n block exists after the build', () => {
		const paths: string[] = [...pkg.n8n.credentials, ...pkg.n8n.nodes];
		expect(paths.length).toBeGreaterThanOrEqual(2);
		for (const p of paths) {
			expect(p.startsWith('dist/')).toBe(true);
			expect(existsSync(join(root, p))).toBe(true);
		}
	});

	it('registers every .node.ts and .credentials.ts source in the n8n block', () => {
		const sources = walk(join(root, 'nodes'))
			.concat(walk(join(root, 'credentials')))
			.filter((f) => /\.(node|credentials)\.ts$/.test(f))
			.map((f) => 'dist/' + f.slice(root.length + 1).replace(/\.ts$/, '.js'));
		expect([...pkg.n8n.credentials, ...pkg.n8n.nodes].sort()).toEqual(sources.sort());
	});

	it('packs only dist/**, package.json, README.md and LICENSE', () => {
		const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
		const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
		expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
		const unexpected = files.filter(
			(f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !f.startsWith('dist/'),
		);
		expect(unexpected).toEqual([]);
		// Tests, the emulator and fixtures never ship.
		expect(files.filter((f) => /(^|\/)test\/|emulator|fixtures|\.test\./.test(f))).toEqual([]);
	});

	it('shipped JavaScript uses no env, file system, timers or foreign modules', () => {
		const jsFiles = walk(join(root, 'dist')).filter((f) => f.endsWith('.js'));
		expect(jsFiles.length).toBeGreaterThan(5);
		const allowed = new Set(['n8n-workflow', 'crypto', 'node:crypto']);
		const problems: string[] = [];
		for (const file of jsFiles) {
			const src = readFileSync(file, 'utf8');
			const rel = file.slice(root.length + 1);
			if (/process\.env/.test(src)) problems.push(`${rel}: process.env`);
			if (/\bprocess\./.test(src)) problems.push(`${rel}: process`);
			if (/\bsetTimeout\s*\(|\bsetInterval\s*\(|\bsetImmediate\s*\(/.test(src)) problems.push(`${rel}: timer`);
			for (const m of src.matchAll(/require\(["']([^"']+)["']\)/g)) {
				const mod = m[1];
				if (mod.startsWith('.')) continue;
				if (mod === 'fs' || mod === 'node:fs' || mod.startsWith('fs/')) problems.push(`${rel}: fs`);
				else if (!allowed.has(mod)) {
					const builtin = builtinModules.includes(mod.replace(/^node:/, ''));
					problems.push(`${rel}: requires ${builtin ? 'built-in' : 'package'} "${mod}"`);
				}
			}
		}
		expect(problems).toEqual([]);
	});

	it('keeps eslint-disable comments out of shipped sources', () => {
		const sources = walk(join(root, 'nodes')).concat(walk(join(root, 'credentials')));
		const offenders = sources.filter((f) => /eslint-disable/.test(readFileSync(f, 'utf8')));
		expect(offenders).toEqual([]);
	});
});

describe('lockfile', () => {
	it('lists every optional dependency, so `npm ci` accepts it on a clean clone', () => {
		// See scripts/lockfile-platform-bindings.mjs for why entries can go missing here.
		const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
		const missing: string[] = [];
		for (const [key, entry] of Object.entries<{ optionalDependencies?: Record<string, string> }>(lock.packages)) {
			for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
				const nested = `${key ? key + '/' : ''}node_modules/${dep}`;
				if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(dep);
			}
		}
		expect(missing).toEqual([]);
	});
});

/**
 * End-to-end tests against a REAL n8n (both lines), run by `npm run test:e2e`.
 * The pinned n8n installs are cached by scripts/n8n/install.sh; see scripts/n8n/harness.ts.
 * @type {import('jest').Config}
 */
module.exports = {
	rootDir: '../..',
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	globalSetup: '<rootDir>/test/e2e/global-setup.ts',
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	// Each file starts real n8n processes (own ports, own user folders); keep the machine calm.
	maxWorkers: 2,
	testTimeout: 10 * 60 * 1000,
};

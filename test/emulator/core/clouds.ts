/**
 * The emulator's own table of clouds: Entra authority, API hosts and the resource identifier
 * (token audience) of each API per cloud. It is deliberately NOT read from the package
 * (nodes/MicrosoftDefender/helpers/hosts.ts): test/unit/contract.test.ts compares the two, so a
 * wrong government-cloud host or scope in the package fails a test instead of being copied here.
 */
import type { ApiFamily } from '../types';
import type { Tag } from '../contract';

export interface EmulatedCloud {
	authority: string;
	api: Record<ApiFamily, { host: string; resource: string; tag: Tag; source: string }>;
}

const MDE_GOV = 'Microsoft Defender for Endpoint for US Government customers';
const GRAPH_NATIONAL = 'Microsoft Graph national cloud deployments';
const UNDOCUMENTED_SCOPE = 'assumed: Microsoft documents the host but no token scope for this cloud (defender-api-corrections.md)';

export const EMULATED_CLOUDS: Record<'global' | 'usGcc' | 'usGccHigh' | 'usDod', EmulatedCloud> = {
	global: {
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: { host: 'https://api.security.microsoft.com', resource: 'https://api.securitycenter.microsoft.com', tag: 'documented', source: 'Create an app to access Microsoft Defender for Endpoint without a user' },
			xdr: { host: 'https://api.security.microsoft.com', resource: 'https://api.security.microsoft.com', tag: 'documented', source: 'Create an app to access Microsoft Defender XDR without a user' },
			graph: { host: 'https://graph.microsoft.com', resource: 'https://graph.microsoft.com', tag: 'documented', source: 'Get access without a user (Microsoft Graph)' },
		},
	},
	usGcc: {
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: { host: 'https://api-gcc.securitycenter.microsoft.us', resource: 'https://securitycenter.onmicrosoft.com/windowsatpservice', tag: 'documented', source: MDE_GOV },
			xdr: { host: 'https://api-gcc.security.microsoft.us', resource: 'https://api-gcc.security.microsoft.us', tag: 'assumed', source: UNDOCUMENTED_SCOPE },
			graph: { host: 'https://graph.microsoft.com', resource: 'https://graph.microsoft.com', tag: 'documented', source: GRAPH_NATIONAL },
		},
	},
	usGccHigh: {
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: { host: 'https://api-gov.securitycenter.microsoft.us', resource: 'https://securitycenter.onmicrosoft.us/windowsatpservice', tag: 'documented', source: MDE_GOV },
			xdr: { host: 'https://api-gov.security.microsoft.us', resource: 'https://api-gov.security.microsoft.us', tag: 'assumed', source: UNDOCUMENTED_SCOPE },
			graph: { host: 'https://graph.microsoft.us', resource: 'https://graph.microsoft.us', tag: 'documented', source: GRAPH_NATIONAL },
		},
	},
	usDod: {
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: { host: 'https://api-gov.securitycenter.microsoft.us', resource: 'https://securitycenter.onmicrosoft.us/windowsatpservice', tag: 'documented', source: MDE_GOV },
			xdr: { host: 'https://api-gov.security.microsoft.us', resource: 'https://api-gov.security.microsoft.us', tag: 'assumed', source: UNDOCUMENTED_SCOPE },
			graph: { host: 'https://dod-graph.microsoft.us', resource: 'https://dod-graph.microsoft.us', tag: 'documented', source: GRAPH_NATIONAL },
		},
	},
};

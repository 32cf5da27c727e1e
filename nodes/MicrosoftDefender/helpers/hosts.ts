/**
 * The one table of hosts per cloud. The credential, the transport, the README and the tests
 * all read it; nothing else in the package names a Microsoft host.
 */

export type CloudName = 'global' | 'usGcc' | 'usGccHigh' | 'usDod';

/** The three API surfaces; each needs its own token audience. */
export type ApiFamily = 'mde' | 'xdr' | 'graph';

export interface ApiEndpoint {
	/** Base URL the request paths are appended to (no trailing slash). */
	baseUrl: string;
	/** Client-credentials scope: `<resource identifier>/.default`. */
	scope: string;
	/** The Entra resource application the permission is granted on. */
	resourceApp: string;
}

export interface CloudHosts {
	displayName: string;
	/** Entra authority (token host), no trailing slash. */
	authority: string;
	api: Record<ApiFamily, ApiEndpoint>;
	portal: string;
}

export const RESOURCE_APPS: Record<ApiFamily, string> = {
	mde: 'WindowsDefenderATP',
	xdr: 'Microsoft Threat Protection',
	graph: 'Microsoft Graph',
};

export const CLOUDS: Record<CloudName, CloudHosts> = {
	global: {
		displayName: 'Global (Commercial)',
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: {
				baseUrl: 'https://api.security.microsoft.com',
				scope: 'https://api.securitycenter.microsoft.com/.default',
				resourceApp: RESOURCE_APPS.mde,
			},
			xdr: {
				baseUrl: 'https://api.security.microsoft.com',
				scope: 'https://api.security.microsoft.com/.default',
				resourceApp: RESOURCE_APPS.xdr,
			},
			graph: {
				baseUrl: 'https://graph.microsoft.com',
				scope: 'https://graph.microsoft.com/.default',
				resourceApp: RESOURCE_APPS.graph,
			},
		},
		portal: 'https://security.microsoft.com',
	},
	// GCC uses the commercial login and Graph, but the .us Defender hosts.
	usGcc: {
		displayName: 'US Government Community Cloud (GCC)',
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: {
				baseUrl: 'https://api-gcc.securitycenter.microsoft.us',
				scope: 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
				resourceApp: RESOURCE_APPS.mde,
			},
			xdr: {
				baseUrl: 'https://api-gcc.security.microsoft.us',
				scope: 'https://api-gcc.security.microsoft.us/.default',
				resourceApp: RESOURCE_APPS.xdr,
			},
			graph: {
				baseUrl: 'https://graph.microsoft.com',
				scope: 'https://graph.microsoft.com/.default',
				resourceApp: RESOURCE_APPS.graph,
			},
		},
		portal: 'https://security.microsoft.com',
	},
	usGccHigh: {
		displayName: 'US Government GCC High',
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: {
				baseUrl: 'https://api-gov.securitycenter.microsoft.us',
				scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
				resourceApp: RESOURCE_APPS.mde,
			},
			xdr: {
				baseUrl: 'https://api-gov.security.microsoft.us',
				// Not documented by Microsoft; the credential lets users override scopes.
				scope: 'https://api-gov.security.microsoft.us/.default',
				resourceApp: RESOURCE_APPS.xdr,
			},
			graph: {
				baseUrl: 'https://graph.microsoft.us',
				scope: 'https://graph.microsoft.us/.default',
				resourceApp: RESOURCE_APPS.graph,
			},
		},
		portal: 'https://security.microsoft.us',
	},
	usDod: {
		displayName: 'US Government DoD',
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: {
				baseUrl: 'https://api-gov.securitycenter.microsoft.us',
				scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
				resourceApp: RESOURCE_APPS.mde,
			},
			xdr: {
				baseUrl: 'https://api-gov.security.microsoft.us',
				scope: 'https://api-gov.security.microsoft.us/.default',
				resourceApp: RESOURCE_APPS.xdr,
			},
			graph: {
				baseUrl: 'https://dod-graph.microsoft.us',
				scope: 'https://dod-graph.microsoft.us/.default',
				resourceApp: RESOURCE_APPS.graph,
			},
		},
		portal: 'https://security.apps.mil',
	},
};

// A KubeApi that can only read: `kubectl multus report` runs the doctor's own steps on it, so that no step it reuses
// can write, not even a server-side dry run. Every method is classified here; a method added to KubeApi without a
// class does not compile.
import {MultusError} from '../errors.js';
import type {KubeApi} from './client.js';

/**
 * read: stores nothing (GET, list, watch, and access and self reviews, which the API server answers without storing);
 * write: creates, changes or deletes an object, even with dryRun=All.
 */
export const kubeApiAccess: Record<keyof KubeApi, 'read' | 'write'> = {
	serverVersion: 'read',
	listDaemonSets: 'read',
	listDaemonSetByName: 'read',
	readDaemonSet: 'read',
	namespaceExists: 'read',
	listClusterRoleBindings: 'read',
	readClusterRole: 'read',
	listClusterRoles: 'read',
	readConfigMap: 'read',
	readServiceAccount: 'read',
	listEvents: 'read',
	listPods: 'read',
	readPodLog: 'read',
	subjectAccess: 'read',
	selfAccess: 'read',
	whoAmI: 'read',
	listRoleBindings: 'read',
	readClusterRoleBinding: 'read',
	watch: 'read',
	patchClusterRole: 'write',
	createClusterRole: 'write',
	createClusterRoleBinding: 'write',
	deleteClusterRole: 'write',
	deleteClusterRoleBinding: 'write',
	restartDaemonSet: 'write',
};

/** `client` with every write refused (an Internal error: a read-only command that tries to write is a bug). */
export function readOnlyKubeApi(client: KubeApi): KubeApi {
	const guarded: Record<string, unknown> = {};
	for (const [name, access] of Object.entries(kubeApiAccess) as Array<[keyof KubeApi, 'read' | 'write']>) {
		const method = client[name] as (...args: unknown[]) => Promise<unknown>;
		guarded[name] =
			access === 'read'
				? (...args: unknown[]) => method.apply(client, args)
				: () => Promise.reject(new MultusError('Internal', `a read-only run tried to write (${name}); nothing was sent`));
	}
	return guarded as unknown as KubeApi;
}

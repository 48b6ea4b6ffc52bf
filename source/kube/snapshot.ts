// One read of the cluster's RBAC per decision: the find step lists the ClusterRoleBindings (and the ClusterRoles when
// several are bound), and the plan step, a moment later, lists them again with the RoleBindings to see who else a fix
// would reach. Both now read the same lists, once. Any write (or attempt: a patch refused as a conflict is one) ends
// the snapshot, so a re-plan after a conflict, the verify step and undo's second look read the cluster again.
import {kubeApiAccess} from './read-only.js';
import type {KubeApi} from './client.js';

/** The RBAC list methods a snapshot serves from memory (everything else goes to the cluster each time). */
const snapshotted = ['listClusterRoles', 'listClusterRoleBindings', 'listRoleBindings'] as const satisfies ReadonlyArray<keyof KubeApi>;

/** `client` with the RBAC lists read once until the next write. Failures are not kept: the next call asks again. */
export function withRbacSnapshot(client: KubeApi): KubeApi {
	const kept = new Map<string, Promise<unknown>>();
	const wrapped: Record<string, unknown> = {};
	for (const [name, access] of Object.entries(kubeApiAccess) as Array<[keyof KubeApi, 'read' | 'write']>) {
		const method = client[name] as (...args: unknown[]) => Promise<unknown>;
		if (access === 'write') {
			wrapped[name] = (...args: unknown[]) => {
				kept.clear();
				return method.apply(client, args).finally(() => kept.clear());
			};
		} else if ((snapshotted as readonly string[]).includes(name)) {
			wrapped[name] = (...args: unknown[]) => {
				const key = JSON.stringify([name, ...args]);
				let answer = kept.get(key);
				if (!answer) {
					answer = method.apply(client, args);
					kept.set(key, answer);
					answer.catch(() => kept.get(key) === answer && kept.delete(key));
				}
				return answer;
			};
		} else {
			wrapped[name] = (...args: unknown[]) => method.apply(client, args);
		}
	}
	return wrapped as unknown as KubeApi;
}

// One read of the cluster's RBAC per decision: the find step lists the ClusterRoleBindings (and the ClusterRoles when
// several are bound, else reads the one), and the plan step, a moment later, reads the role it patches and lists them
// again with the RoleBindings to see who else a fix would reach. Both now read the same objects, once. Any write (or
// attempt: a patch refused as a conflict is one) ends the snapshot, so a re-plan after a conflict, the verify step
// and undo's second look read the cluster again.
import type {V1ClusterRole} from '@kubernetes/client-node';
import {kubeApiAccess} from './read-only.js';
import type {KubeApi} from './client.js';

/** The RBAC list methods a snapshot serves from memory (everything else goes to the cluster each time). */
const snapshotted = ['listClusterRoles', 'listClusterRoleBindings', 'listRoleBindings'] as const satisfies ReadonlyArray<keyof KubeApi>;

/**
 * `client` with the RBAC lists, and the ClusterRoles read by name, read once until the next write; a ClusterRole
 * read by name while the whole list is kept is taken from it. Failures are not kept: the next call asks again.
 */
export function withRbacSnapshot(client: KubeApi): KubeApi {
	const kept = new Map<string, Promise<unknown>>();
	const keep = <T>(key: string, ask: () => Promise<T>): Promise<T> => {
		let answer = kept.get(key) as Promise<T> | undefined;
		if (!answer) {
			answer = ask();
			kept.set(key, answer);
			answer.catch(() => kept.get(key) === answer && kept.delete(key));
		}
		return answer;
	};
	// Called with no selector or an undefined one alike: one key.
	const keyOf = (name: string, args: unknown[]) => JSON.stringify([name, ...args.slice(0, args.findLastIndex(arg => arg !== undefined) + 1)]);
	const wrapped: Record<string, unknown> = {};
	for (const [name, access] of Object.entries(kubeApiAccess) as Array<[keyof KubeApi, 'read' | 'write']>) {
		const method = client[name] as (...args: unknown[]) => Promise<unknown>;
		if (access === 'write') {
			wrapped[name] = (...args: unknown[]) => {
				kept.clear();
				return method.apply(client, args).finally(() => kept.clear());
			};
		} else if ((snapshotted as readonly string[]).includes(name)) {
			wrapped[name] = (...args: unknown[]) => keep(keyOf(name, args), () => method.apply(client, args));
		} else {
			wrapped[name] = (...args: unknown[]) => method.apply(client, args);
		}
	}
	wrapped['readClusterRole'] = (name: string) => keep(keyOf('readClusterRole', [name]), () => {
		const read = () => client.readClusterRole(name);
		const list = kept.get(keyOf('listClusterRoles', [])) as Promise<V1ClusterRole[]> | undefined;
		// One the list does not hold (created since, or the list failed): the cluster answers, in its own words.
		return list ? list.then(roles => roles.find(role => role.metadata?.name === name) ?? read(), read) : read();
	});
	Object.defineProperty(wrapped, forget, {value: () => kept.clear()});
	return wrapped as unknown as KubeApi;
}

const forget = Symbol('forget the snapshot');

/** Ends `client`'s snapshot, if it keeps one: its next reads ask the cluster (after a wait, when others may have written). */
export function endSnapshot(client: KubeApi): void {
	(client as unknown as {[forget]?: () => void})[forget]?.();
}

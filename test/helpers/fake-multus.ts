// Multus installs in the in-memory cluster, as the scenarios under scenarios/ install them on a real one.
import type {V1ClusterRole, V1DaemonSet, V1PolicyRule} from '@kubernetes/client-node';
import {daemonPod, FakeCluster} from './fake-cluster.js';

export const multusUser = 'system:serviceaccount:kube-system:multus';

/** A line the thick daemon's pod informer logs when it may not list pods (reflector.go, client-go 1.3x). */
export function forbiddenLine(verb: 'list' | 'watch' = 'list', at = '2026-11-24T22:19:49.746000000Z'): string {
	return `${at} E1124 22:19:49.746123       1 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to ${verb} *v1.Pod: pods is forbidden: User \\"${multusUser}\\" cannot ${verb} resource \\"pods\\" in API group \\"\\" at the cluster scope" logger="UnhandledError"\n`;
}

export const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};

/** The upstream thick ClusterRole without pods list/watch (the bug). */
export const brokenRules: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];

export interface MultusInstall {
	nodes?: string[];
	/** The ClusterRole bound to the ServiceAccount (name multus unless given). */
	role?: V1ClusterRole;
	/** Extra roles (aggregation sources, say). */
	otherRoles?: V1ClusterRole[];
	strategy?: 'RollingUpdate' | 'OnDelete';
	/** Whether the old pods log the forbidden error (true unless the RBAC is fine). */
	forbiddenLogs?: boolean;
}

/** Each DaemonSet made here is another object: its own uid, as a cluster gives it. */
let daemonSets = 0;

export function multusDaemonSet(nodes: number, strategy: 'RollingUpdate' | 'OnDelete' = 'RollingUpdate'): V1DaemonSet {
	return {
		apiVersion: 'apps/v1',
		kind: 'DaemonSet',
		metadata: {namespace: 'kube-system', name: 'kube-multus-ds', uid: `uid-kube-multus-ds-${++daemonSets}`, labels: {app: 'multus', name: 'multus', tier: 'node'}, generation: 1, annotations: {'deprecated.daemonset.template.generation': '1'}},
		spec: {
			selector: {matchLabels: {name: 'multus'}},
			updateStrategy: {type: strategy},
			template: {
				metadata: {labels: {app: 'multus', name: 'multus'}},
				spec: {
					serviceAccountName: 'multus',
					containers: [{name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:snapshot-thick', command: ['/usr/src/multus-cni/bin/multus-daemon']}],
				},
			},
		},
		status: {currentNumberScheduled: nodes, desiredNumberScheduled: nodes, numberMisscheduled: 0, numberReady: nodes, numberAvailable: nodes, updatedNumberScheduled: nodes, observedGeneration: 1},
	};
}

/** A cluster with thick Multus in kube-system whose ClusterRole `multus` lacks pods list/watch, its pods logging it. */
export function brokenThick(install: MultusInstall = {}): FakeCluster {
	const nodes = install.nodes ?? ['node-a', 'node-b', 'node-c'];
	const role = install.role ?? {metadata: {name: 'multus'}, rules: structuredClone(brokenRules)};
	const ds = multusDaemonSet(nodes.length, install.strategy);
	const cluster = new FakeCluster()
		.addDaemonSet(ds)
		.addClusterRole(role)
		.addBinding({
			metadata: {name: 'multus'},
			roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata?.name ?? 'multus'},
			subjects: [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}],
		});
	for (const other of install.otherRoles ?? []) cluster.addClusterRole(other);
	const log = install.forbiddenLogs === false ? 'I1124 22:19:49.746123       1 server.go:1] started\n' : forbiddenLine('list') + forbiddenLine('watch');
	for (const node of nodes) cluster.addPod(daemonPod(ds, node, '1', true, `old-${node}`), log);
	return cluster;
}

/** The same install with pods list/watch granted: nothing to fix. */
export function healthyThick(install: MultusInstall = {}): FakeCluster {
	return brokenThick({role: {metadata: {name: 'multus'}, rules: [...structuredClone(brokenRules), podsListWatch]}, forbiddenLogs: false, ...install});
}

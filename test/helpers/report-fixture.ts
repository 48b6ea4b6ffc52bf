// A report document as `kubectl multus report` makes it on a broken thick install, for the writer's tests.
import type {ReportDocument} from '../../source/report/document.js';
import type {ReportOptions} from '../../source/options.js';

export function reportFixture(): ReportDocument {
	return {
		reportVersion: 1,
		generatedAt: '2026-12-01T13:00:00.000Z',
		tool: {version: '0.1.0', commit: 'b22bbceb0807'},
		kubernetes: {version: 'v1.36.3', server: 'https://[REDACTED-HOSTNAME-1]:6443'},
		caller: {user: 'admin', impersonating: null, server: {username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated']}},
		verdict: 'broken',
		summary: "Broken: the thick daemon's pod informer cannot list or watch pods at cluster scope.",
		multus: {
			namespace: 'kube-system',
			daemonSet: 'kube-multus-ds',
			mode: 'thick',
			image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot-thick',
			tag: 'snapshot-thick',
			release: {version: 'master', how: 'floating', note: 'tag snapshot-thick follows upstream master: read as what master runs now', informers: ['pod', 'net-attach-def']},
			foundBy: ['image ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot-thick', 'label app=multus'],
			identity: {user: 'system:serviceaccount:kube-system:multus', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']},
			perNodeCertificates: false,
			daemonLog: {startupLines: 'visible', source: 'ConfigMap multus-daemon-config (daemon-config.json)', why: null},
			managedBy: null,
			pods: {desired: 3, ready: 3},
		},
		findings: [
			{id: 'pods-forbidden-logs', code: 'MULTUS-LOG-001', title: 'logs', page: 'docs/findings.md#multus-log-001', kind: 'logs', blocks: false, status: 'fail', text: '5 pods-forbidden line(s) in the 3 pod(s) read'},
			{id: 'pods-list-access', code: 'MULTUS-RBAC-001', title: 'list', page: 'docs/findings.md#multus-rbac-001', kind: 'access', blocks: true, status: 'fail', text: 'access review: system:serviceaccount:kube-system:multus cannot list pods at cluster scope'},
			{id: 'rbac-rules', code: 'MULTUS-RULE-001', title: 'rules', page: 'docs/findings.md#multus-rule-001', kind: 'rules', blocks: true, status: 'fail', text: 'rules: missing pods [""]: list, watch  [MULTUS-RULE-010]', gaps: [{code: 'MULTUS-RULE-010', rule: 'pods [""]: list, watch'}]},
			{id: 'pods-watch-access', code: 'MULTUS-RBAC-002', title: 'watch', page: 'docs/findings.md#multus-rbac-002', kind: 'unknown', blocks: true, status: 'unknown', text: 'not judged: what it asks could not be read', notJudged: 'cannot create a SubjectAccessReview: forbidden'},
		],
		codes: [
			{code: 'MULTUS-RBAC-001', title: 'The Multus identity may not list pods at cluster scope', page: 'docs/findings.md#multus-rbac-001', details: ['system:serviceaccount:kube-system:multus cannot list pods at cluster scope']},
			{code: 'MULTUS-BIND-001', title: "A ClusterRoleBinding names another namespace's ServiceAccount of the same name", page: 'docs/findings.md#multus-bind-001', details: ['ClusterRoleBinding multus binds multus to ServiceAccount other:multus, not kube-system:multus']},
		],
		warnings: [{code: null, text: 'tag snapshot-thick follows upstream master: read as what master runs now'}, {code: 'MULTUS-BIND-004', text: 'ClusterRole multus-old does not exist, yet multus-old binds it: it grants nothing'}],
		fix: {
			clusterRole: 'multus',
			add: ['pods [""]: list, watch'],
			dedicated: null,
			aggregateOf: null,
			managedBy: null,
			gains: ['ServiceAccount kube-system:multus (ClusterRoleBinding multus)'],
			reconcileYaml: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: multus\n',
		},
		fixRefused: {message: 'ClusterRole multus is shared', hint: 'bind a role of its own'},
		rbac: {
			read: true,
			roles: [{name: 'multus', bindings: [{binding: 'multus', via: 'ServiceAccount kube-system:multus'}], managedBy: null, rules: ['pods, pods/status [""]: get, update']}],
			missingRoles: [{role: 'multus-old', bindings: ['multus-old']}],
		},
		daemonSet: {metadata: {name: 'kube-multus-ds', namespace: 'kube-system', annotations: {note: 'reach me at [REDACTED-IP-1]'}}, spec: {template: {spec: {containers: [{name: 'kube-multus', env: {TOKEN: 'a value (not shown)'}}]}}}},
		serviceAccount: {metadata: {name: 'multus', namespace: 'kube-system'}},
		logs: {
			state: 'found',
			summary: '✖ logs: 5 forbidden list line(s) in 3 of 3 sampled pod(s)\nnodes: [REDACTED-HOSTNAME-2]',
			excerptLines: 40,
			shortened: false,
			samples: [
				{namespace: 'kube-system', pod: 'kube-multus-ds-abcde', container: 'kube-multus', node: '[REDACTED-HOSTNAME-2]', bytes: 300, lines: 2, excerpt: ['E1201 reflector.go:204] "Failed to watch" err="failed to list *v1.Pod: pods is forbidden"', 'dial tcp [REDACTED-IP-2]:443'], omitted: 0, error: null, file: 'logs/kube-system/kube-multus-ds-abcde/kube-multus.log'},
				{namespace: 'kube-system', pod: 'kube-multus-ds-fghij', container: 'kube-multus', node: '', bytes: 0, lines: 0, excerpt: [], omitted: 0, error: 'cannot read the log of pod kube-system/kube-multus-ds-fghij: forbidden', file: 'logs/kube-system/kube-multus-ds-fghij/kube-multus.log'},
			],
		},
		notCollected: [{what: 'check pods-watch-access', why: 'cannot create a SubjectAccessReview: forbidden', kind: 'Forbidden'}],
		redacted: {token: 0, certificate: 0, key: 0, ip: 2, hostname: 1},
	};
}

/** A report run's options as the flags' defaults give them (Markdown, redacted, 5 pods' logs). */
export const reportOptions: ReportOptions = {
	connection: {kubeconfig: undefined, context: undefined, cluster: undefined, user: undefined, namespace: undefined, as: undefined, asGroup: undefined, asUid: undefined, requestTimeoutMs: 30_000},
	output: 'md',
	bundle: undefined,
	redact: true,
	daemonSet: undefined,
	logPods: 5,
	logBytes: 262_144,
};

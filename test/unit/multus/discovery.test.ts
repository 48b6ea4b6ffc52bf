import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole, V1ClusterRoleBinding, V1ConfigMap, V1Container, V1DaemonSet, V1Volume} from '@kubernetes/client-node';
import {
	grantsForIdentity,
	grantsForServiceAccount,
	managedBy,
	mountedConfigMaps,
	multusMode,
	optedOutOfAutoupdate,
	perNodeCertificateEnabled,
	perNodeCertificateIdentity,
	recogniseMultus,
} from '../../../source/multus/discovery.js';

function daemonSet(container: V1Container, extra: {labels?: Record<string, string>; volumes?: V1Volume[]} = {}): V1DaemonSet {
	return {
		metadata: {name: 'ds', namespace: 'ns', labels: extra.labels ?? {}},
		spec: {
			selector: {matchLabels: {app: 'multus'}},
			template: {metadata: {labels: {app: 'multus'}}, spec: {serviceAccountName: 'multus', containers: [container], ...(extra.volumes ? {volumes: extra.volumes} : {})}},
		},
	};
}

function binding(name: string, role: string, subjects: V1ClusterRoleBinding['subjects']): V1ClusterRoleBinding {
	return {metadata: {name}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role}, subjects};
}

describe('thick or thin, for every flavour (multus-facts §4)', () => {
	const cases: Array<[string, V1Container, 'thick' | 'thin']> = [
		['upstream thick', {name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:snapshot-thick', command: ['/usr/src/multus-cni/bin/multus-daemon']}, 'thick'],
		['OpenShift: a shell script that execs the daemon', {name: 'kube-multus', image: 'openshift/origin-multus-cni:4.18', command: ['/bin/bash', '-ec', '--'], args: ['cp shim /host/opt/cni/bin/\nexec /usr/src/multus-cni/bin/multus-daemon']}, 'thick'],
		['CNAO thick', {name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:v4.1.0-thick', command: ['/usr/src/multus-cni/bin/multus-daemon']}, 'thick'],
		['RKE2 thick image, no command', {name: 'kube-rke2-multus', image: 'rancher/hardened-multus-thick:v4.2.2-build20250612'}, 'thick'],
		['Kubespray thin', {name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:v4.2.2', command: ['/thin_entrypoint'], args: ['--multus-conf-file=auto']}, 'thin'],
		['MicroK8s v3.9 entrypoint.sh', {name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:v3.9', command: ['/entrypoint.sh'], args: ['--multus-conf-file=auto']}, 'thin'],
		['Helm chart v3.8', {name: 'kube-multus', image: 'nfvpe/multus:v3.8', command: ['/entrypoint.sh']}, 'thin'],
		['RKE2 thin default', {name: 'kube-rke2-multus', image: 'rancher/hardened-multus-cni:v4.2.2-build20250612', command: ['/thin_entrypoint']}, 'thin'],
		['thin entrypoint wins over a -thick tag', {name: 'kube-multus', image: 'example/multus-cni:v4.2.2-thick', command: ['/thin_entrypoint']}, 'thin'],
	];
	for (const [name, container, mode] of cases) {
		test(`${name}: ${mode}`, () => {
			assert.equal(multusMode(container), mode);
			assert.equal(recogniseMultus(daemonSet(container))?.mode, mode);
		});
	}
});

describe('per-node certificates', () => {
	const thick: V1Container = {name: 'kube-multus', image: 'k8snetworkplumbingwg/multus-cni:v4.2.2-thick', command: ['/usr/src/multus-cni/bin/multus-daemon']};
	const config = (enabled: boolean): V1ConfigMap => ({
		metadata: {name: 'multus-daemon-config', namespace: 'ns'},
		data: {'daemon-config.json': `{\n  "chrootDir": "/hostroot",\n  "perNodeCertificate": {\n    "enabled": ${enabled},\n    "certDir": "/etc/cni/multus/certs"\n  }\n}`},
	});
	const volumes = [{name: 'cfg', configMap: {name: 'multus-daemon-config'}}];

	test('the setting is read from config text, enabled only when true', () => {
		assert.equal(perNodeCertificateEnabled(config(true).data!['daemon-config.json']!), true);
		assert.equal(perNodeCertificateEnabled(config(false).data!['daemon-config.json']!), false);
		assert.equal(perNodeCertificateEnabled('{"perNodeCertificate":{"certDir":"/x","enabled":true}}'), true);
		assert.equal(perNodeCertificateEnabled('--config /etc/cni/net.d/multus.d/daemon-config.json'), false);
	});

	test('from a mounted ConfigMap, not from one the pods do not mount', () => {
		const ds = daemonSet(thick, {volumes});
		assert.deepEqual(mountedConfigMaps(ds), ['multus-daemon-config']);
		assert.equal(recogniseMultus(ds)?.perNodeCertificates, false, 'without the ConfigMap nothing is known');
		assert.equal(recogniseMultus(ds, [config(true)])?.perNodeCertificates, true);
		assert.equal(recogniseMultus(ds, [config(false)])?.perNodeCertificates, false);
		assert.equal(recogniseMultus(daemonSet(thick), [config(true)])?.perNodeCertificates, false, 'not mounted');
	});

	test('from config written inline by the container script', () => {
		const inline = {...thick, command: ['/bin/sh', '-c'], args: ['echo \'{"perNodeCertificate": {"enabled": true}}\' > /tmp/c.json; exec /usr/src/multus-cni/bin/multus-daemon -config /tmp/c.json']};
		assert.equal(recogniseMultus(daemonSet(inline))?.perNodeCertificates, true);
	});

	test('the identity is system:multus:<node> in group system:multus, and roles come through the Group binding', () => {
		const identity = perNodeCertificateIdentity('node-1');
		assert.deepEqual(identity, {user: 'system:multus:node-1', groups: ['system:multus', 'system:authenticated']});
		const bindings = [
			binding('multus-group', 'multus', [{kind: 'Group', name: 'system:multus', apiGroup: 'rbac.authorization.k8s.io'}]),
			binding('multus-sa', 'multus-certificates', [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]),
			binding('basic', 'system:basic-user', [{kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io'}]),
			binding('one-node', 'multus-node-1', [{kind: 'User', name: 'system:multus:node-1', apiGroup: 'rbac.authorization.k8s.io'}]),
			binding('other-node', 'multus-node-2', [{kind: 'User', name: 'system:multus:node-2', apiGroup: 'rbac.authorization.k8s.io'}]),
		];
		assert.deepEqual(grantsForIdentity(bindings, identity), [
			{binding: 'multus-group', role: 'multus', via: 'Group system:multus', shared: false},
			{binding: 'basic', role: 'system:basic-user', via: 'Group system:authenticated', shared: true},
			{binding: 'one-node', role: 'multus-node-1', via: 'User system:multus:node-1', shared: false},
		]);
	});

	test('a ServiceAccount gets its own bindings; the shared groups are marked shared', () => {
		const bindings = [
			binding('multus', 'multus', [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]),
			binding('elsewhere', 'multus', [{kind: 'ServiceAccount', name: 'multus', namespace: 'kubevirt-hyperconverged'}]),
			binding('all-sas', 'viewer', [{kind: 'Group', name: 'system:serviceaccounts:kube-system', apiGroup: 'rbac.authorization.k8s.io'}]),
			binding('multus-group', 'multus-pnc', [{kind: 'Group', name: 'system:multus', apiGroup: 'rbac.authorization.k8s.io'}]),
		];
		assert.deepEqual(grantsForServiceAccount(bindings, 'kube-system', 'multus'), [
			{binding: 'multus', role: 'multus', via: 'ServiceAccount kube-system:multus', shared: false},
			{binding: 'all-sas', role: 'viewer', via: 'Group system:serviceaccounts:kube-system', shared: true},
		]);
	});
});

describe('owners', () => {
	test('Helm, RKE2 helm-controller, CNAO, OpenShift CNO, NVIDIA network-operator, any controller', () => {
		assert.equal(managedBy({labels: {'app.kubernetes.io/managed-by': 'Helm'}, annotations: {'meta.helm.sh/release-name': 'netplumb'}})?.kind, 'helm');
		assert.equal(managedBy({annotations: {'meta.helm.sh/release-name': 'rke2-multus'}})?.name, 'HelmChart rke2-multus');
		assert.equal(managedBy({labels: {'networkaddonsoperator.network.kubevirt.io/version': '0.94.0'}})?.name, 'KubeVirt cluster-network-addons-operator');
		assert.equal(managedBy({namespace: 'openshift-multus'})?.name, 'OpenShift Cluster Network Operator');
		assert.equal(
			managedBy({ownerReferences: [{apiVersion: 'operator.openshift.io/v1', kind: 'Network', name: 'cluster', uid: 'u', controller: true}]})?.name,
			'OpenShift Cluster Network Operator',
		);
		const nvidia = managedBy({ownerReferences: [{apiVersion: 'mellanox.com/v1alpha1', kind: 'NicClusterPolicy', name: 'nic-cluster-policy', uid: 'u', controller: true}]});
		assert.equal(nvidia?.kind, 'operator');
		assert.match(nvidia?.name ?? '', /NVIDIA network-operator \(NicClusterPolicy nic-cluster-policy\)/);
		assert.deepEqual(managedBy({ownerReferences: [{apiVersion: 'example.com/v1', kind: 'Thing', name: 't', uid: 'u'}]})?.name, 'Thing t');
		assert.equal(managedBy({name: 'multus'}), undefined);
	});

	test('rbac.authorization.kubernetes.io/autoupdate: "false" opts out, anything else does not', () => {
		const role = (value?: string): V1ClusterRole => ({metadata: {name: 'multus', ...(value === undefined ? {} : {annotations: {'rbac.authorization.kubernetes.io/autoupdate': value}})}});
		assert.equal(optedOutOfAutoupdate(role('false')), true);
		assert.equal(optedOutOfAutoupdate(role('true')), false);
		assert.equal(optedOutOfAutoupdate(role()), false);
	});
});

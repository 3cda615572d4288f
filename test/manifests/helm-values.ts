/** Values that turn every switch of charts/berth on and change every setting, shared by the chart tests. */
export const FULL_VALUES = {
  image: { repository: 'registry.example.org/team/berth', tag: '1.2.3', pullPolicy: 'Always' },
  extender: {
    replicas: 3,
    logLevel: 'debug',
    nvmeStorageClasses: ['local-nvme', 'fast'],
    nvmeProvisioners: ['topolvm.io'],
    pushAuth: true,
    extraArgs: ['--report-ttl=120s'],
    nodeOptions: '--max-semi-space-size=4 --max-old-space-size=768',
  },
  tls: { certManager: { enabled: true } },
  scheduler: {
    extenderConfig: { enabled: true },
    second: { enabled: true, replicas: 1, image: 'registry.k8s.io/kube-scheduler:v1.35.2' },
  },
  agent: {
    pools: [
      { name: 'nvme', kind: 'mount', path: '/mnt/nvme' },
      { name: 'fast', kind: 'mount', path: '/var/lib/fast' },
      { name: 'raw', kind: 'device', path: '/dev/nvme1n1' },
      { name: 'vg', kind: 'lvm', volumeGroup: 'nvme-vg' },
    ],
    interval: '5s',
    probePort: 7071,
    metricsPort: 9465,
    nodeSelector: { 'example.com/nvme': 'true' },
  },
  monitoring: { enabled: true },
  explain: { subjects: [{ kind: 'Group', name: 'sre', apiGroup: 'rbac.authorization.k8s.io' }] },
};

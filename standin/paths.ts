/**
 * Files the stand-in node writes and the harness reads (through `docker exec`), in one place for
 * both sides. The API server's and kubelet's logs are where a real node keeps them for
 * `journalctl -u <unit>` (the stand-in journalctl prints /var/log/<unit>.log).
 */
export const STANDIN_NODE_FILES = {
  apiServerLog: '/var/log/kube-apiserver.log',
  kubeletLog: '/var/log/kubelet.log',
  /** One line per API call the stand-in API server does not implement (`METHOD path (content type)`). */
  unimplementedLog: '/var/log/standin-unimplemented.log',
} as const;

// Port: the processes running on this host (diagnose looks for kubelet and reads its flags).
export interface ProcessInfo {
  pid: number;
  /** The kernel's short name (/proc/<pid>/comm). */
  name: string;
  argv: string[];
}

export interface Processes {
  /** Processes called `name` that share this process's network namespace (a node's kubelet, not a neighbour's). */
  byName(name: string): Promise<ProcessInfo[]>;
}

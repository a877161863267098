// Port: the instance metadata service (IMDSv2 only).
export interface Imds {
  /** GET a meta-data path relative to /latest/; undefined when IMDS answers 404. */
  get(path: string): Promise<string | undefined>;
}

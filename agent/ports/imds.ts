// Port: the instance metadata service (IMDSv2 only).
export interface Imds {
  /** GET a meta-data path relative to /latest/; undefined when IMDS answers 404. */
  get(path: string): Promise<string | undefined>;
  /** diagnose: one token request, one read with it and one read without a token, each timed; never throws. */
  probe(): Promise<ImdsProbe>;
}

/** One HTTP exchange with IMDS: its status (0: no answer), time, and the error when there was no answer. */
export interface ImdsExchange {
  status: number;
  ms: number;
  error?: string;
}

export interface ImdsProbe {
  /** PUT /latest/api/token. */
  token: ImdsExchange;
  /** GET meta-data/instance-id with that token (absent when no token was issued). */
  read?: ImdsExchange;
  /** GET meta-data/instance-id without a token: 401 means IMDSv1 is disabled. */
  tokenless: ImdsExchange;
}

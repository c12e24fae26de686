/**
 * What each of Lambda's answers to Invoke that is the function's infrastructure, not the job, means, and what fixes
 * it: the errors of Invoke in botocore's lambda model (service-2.json, 2015-03-31) with their documentation, and the
 * Lambda Developer Guide's "Troubleshoot networking issues in Lambda" and "Configuring file system access". Under
 * `engine: auto` each of these falls back to an instance (the job never started: nothing is written); under
 * `engine: lambda` it is the run's one error.
 */

/** Why the function could not run the job, and the fix, by the error's name (its x-amzn-ErrorType). */
const FAILURES: Record<string, { cause: string; fix: string }> = {
  EFSMountConnectivityException: {
    cause: 'it could not open a network connection to the file system (EFSMountConnectivityException)',
    fix:
      "let the mount target's security group admit NFS (TCP 2049) from the function's security group (the template's " +
      'MountTargetNfsFromWriter does), and give each of its subnets a mount target in its Availability Zone',
  },
  EFSMountFailureException: {
    cause: 'the file system refused the mount (EFSMountFailureException)',
    fix:
      "let the file system policy allow the function's role elasticfilesystem:ClientMount, ClientWrite and " +
      "ClientRootAccess through the function's access point, and check that the access point exists",
  },
  EFSMountTimeoutException: {
    cause: 'it connected to the file system, but the mount timed out (EFSMountTimeoutException)',
    fix: 'run again: a first mount after the function was created or updated can time out; if it persists, check the mount target',
  },
  EFSIOException: {
    cause: 'reading or writing the file system failed (EFSIOException)',
    fix: "check the file system's throughput (a bursting file system out of credits throttles) and run again",
  },
  ENILimitReachedException: {
    cause: "Lambda could not create a network interface in the function's VPC (ENILimitReachedException)",
    fix: 'raise the network interfaces quota of the Region, or free interfaces in the VPC',
  },
  SubnetIPAddressLimitReachedException: {
    cause: 'a subnet of the function has no free IP address (SubnetIPAddressLimitReachedException)',
    fix: 'free addresses in the WriterSubnetIds subnets, or give the function other subnets with mount targets',
  },
  InvalidSubnetIDException: {
    cause: "a subnet of the function's VPC configuration is not valid (InvalidSubnetIDException)",
    fix: 'update the stack with WriterSubnetIds naming subnets that exist',
  },
  InvalidSecurityGroupIDException: {
    cause: "the function's security group is not valid (InvalidSecurityGroupIDException)",
    fix: 'update the stack so that the function has its security group again',
  },
  EC2AccessDeniedException: {
    cause: "the function's role may not set up its VPC networking (EC2AccessDeniedException)",
    fix: "give the function's role the network interface actions of the template's vpc-networking policy",
  },
  EC2ThrottledException: {
    cause: 'EC2 throttled Lambda while it set up the function (EC2ThrottledException)',
    fix: 'run again in a minute',
  },
  EC2UnexpectedException: {
    cause: 'EC2 failed while Lambda set up the function (EC2UnexpectedException)',
    fix: 'run again',
  },
  ResourceNotReadyException: {
    cause: 'the function is inactive and its VPC connection is not ready yet (ResourceNotReadyException)',
    fix: 'run again in a minute: Lambda is making it ready',
  },
  ResourceConflictException: {
    cause: 'the function is being created or updated (ResourceConflictException)',
    fix: 'run again once the stack update has finished',
  },
  TooManyRequestsException: {
    cause: "Lambda throttled the invocation: the function's concurrency is used up (TooManyRequestsException)",
    fix: "run again later, or raise the function's reserved concurrency or the account's concurrency quota",
  },
  ServiceException: {
    cause: 'Lambda failed internally (ServiceException)',
    fix: 'run again',
  },
};

/** The cause and fix of an infrastructure failure of the function, by the error's name; undefined for any other. */
export function functionFailure(name: string): { cause: string; fix: string } | undefined {
  return Object.hasOwn(FAILURES, name) ? FAILURES[name] : undefined;
}

/** The names of every failure above: the test bed and the tests check each. */
export const FUNCTION_FAILURES = Object.keys(FAILURES);

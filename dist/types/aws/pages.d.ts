/**
 * Reading every page. Each List/Describe call goes through the SDK's paginator for it (`paginate<Operation>`), which
 * follows NextToken, NextMarker or NextContinuationToken until the service says there is no more: AWS pages answers
 * at a default size (SSM DescribeInstanceInformation 10 items, S3 ListObjectsV2 1,000 keys, EFS DescribeAccessPoints
 * 100, as botocore's service models document MaxResults/MaxKeys), so a reader of one page misses the rest.
 */
/**
 * MaxResults of a DescribeInstances by filters: EC2 asks for paginated calls there ("unpaginated calls might be
 * throttled and could time out"), its example with `withMaxResults(1000)` (EC2 Developer Guide, Pagination in the
 * Amazon EC2 API, https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-pagination.html); 1,000 is the most a page
 * holds.
 */
export declare const DESCRIBE_PAGE = 1000;
/** Every item of every page. */
export declare function allPages<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]>;
/** Ids in groups of at most `size`: a filter or id list takes only so many values per call. */
export declare function chunks<T>(values: readonly T[], size: number): T[][];

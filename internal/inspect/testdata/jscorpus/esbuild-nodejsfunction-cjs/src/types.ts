export interface Context { awsRequestId?: string }

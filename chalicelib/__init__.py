"""Inside Flow: a serverless flow-orchestration engine on Chalice, DynamoDB and SQS."""

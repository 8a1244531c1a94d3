"""The OMS: plans become orders at an ExecutionGateway, tracked through their life, never twice."""

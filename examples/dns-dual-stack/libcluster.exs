# libcluster's topology for myapp: Cluster.Strategy.Kubernetes.DNS.
# Put it in config/runtime.exs (or config/prod.exs). The names it dials are the ones
# relnode gives the pods: myapp@10.42.1.49
import Config

config :libcluster,
  topologies: [
    k8s: [
      strategy: Cluster.Strategy.Kubernetes.DNS,
      config: [
        service: "myapp-headless.default.svc.cluster.local",
        application_name: "myapp",
        polling_interval: 5_000
      ]
    ]
  ]

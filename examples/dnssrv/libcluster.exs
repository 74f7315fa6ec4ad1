# libcluster's topology for myapp: Cluster.Strategy.Kubernetes.DNSSRV.
# Put it in config/runtime.exs (or config/prod.exs). The names it dials are the ones
# relnode gives the pods: myapp@myapp-0.myapp-headless.default.svc.cluster.local
import Config

config :libcluster,
  topologies: [
    k8s: [
      strategy: Cluster.Strategy.Kubernetes.DNSSRV,
      config: [
        service: "myapp-headless",
        namespace: "default",
        application_name: "myapp",
        polling_interval: 5_000
      ]
    ]
  ]

# libcluster's topology for myapp: Cluster.Strategy.Kubernetes.DNSSRV (dashed-IP SRV targets).
# Put it in config/runtime.exs (or config/prod.exs). The names it dials are the ones
# relnode gives the pods: myapp@fd00-42--31.myapp-headless.default.svc.cluster.local
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

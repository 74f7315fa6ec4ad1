# libcluster's topology for myapp: Cluster.Strategy.Kubernetes mode: :ip.
# Put it in config/runtime.exs (or config/prod.exs). The names it dials are the ones
# relnode gives the pods: myapp@10.42.1.49
import Config

config :libcluster,
  topologies: [
    k8s: [
      strategy: Cluster.Strategy.Kubernetes,
      config: [
        mode: :ip,
        kubernetes_node_basename: "myapp",
        # Endpoints carry the Service's labels, so this selects the Service, not the pods.
        kubernetes_selector: "app=myapp",
        kubernetes_namespace: "default",
        kubernetes_ip_lookup_mode: :endpoints,
        polling_interval: 5_000
      ]
    ]
  ]
